"""读给我听: a guide or a ticket read aloud in Mandarin, offline, with pause and stop.

The script is plain text in sentences (`guide_script`, `ticket_script`). Each sentence is
spoken by espeak-ng (Debian `espeak-ng`, voice `cmn`: the engine the voice-call clips were made
with, so the hall needs no second speech engine) into a WAV and played by the same player as the
voice call (aplay, paplay or pw-play). Sentence by sentence, so that pause stops at once (the
player is ended) and resume starts the interrupted sentence again; stop forgets the place.

One worker thread per reading; `state` ("idle", "reading", "paused") is read by the screen's
timer, so no Qt object is touched off the GUI thread. Without espeak-ng or an audio device the
reader says so in the log and the state goes back to idle (the button then reads again).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

VOICE = "cmn"
WORDS_PER_MINUTE = 150  # a little slower than espeak-ng's 175: elderly listeners
DIGITS = "零一二三四五六七八九"
MAX_SENTENCE = 200  # characters per spoken piece: pause and stop act within one piece


def spell_label(label: str) -> str:
    """A ticket number as it is read out: A023 -> "A 零二三" (digit by digit, as the call does)."""
    letters = "".join(ch for ch in label.upper() if "A" <= ch <= "Z")
    digits = "".join(DIGITS[int(ch)] for ch in label if ch.isdigit())
    return f"{letters} {digits}".strip()


def ticket_script(label: str, people_ahead: int) -> list[str]:
    """"您的号码是 A023，前面还有 3 人" as spoken sentences."""
    first = f"您的号码是 {spell_label(label)}。"
    if people_ahead <= 0:
        return [first, "您是下一位，请留意叫号。"]
    return [first, f"前面还有 {people_ahead} 人。"]


def _pieces(text: str) -> list[str]:
    """Split long text at sentence ends (and, if still long, at commas) into speakable pieces."""
    text = " ".join(text.split())
    if not text:
        return []
    out, current = [], ""
    for ch in text:
        current += ch
        if ch in "。！？；!?;" or (len(current) >= MAX_SENTENCE and ch in "，,、 "):
            out.append(current.strip())
            current = ""
        elif len(current) >= MAX_SENTENCE * 2:  # no punctuation at all: cut anyway
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


def guide_script(detail: Any) -> list[str]:
    """名称, 受理条件, 申请材料, 办理流程, 地点, 时间 of a `GuideDetail`, as spoken sentences."""
    out = [f"{detail.name}。"]

    def section(title: str, text: str) -> None:
        body = _pieces(text)
        out.append(f"{title}：" + (body[0] if body else "暂无。"))
        out.extend(body[1:])

    section("受理条件", detail.conditions)
    if detail.materials:
        out.append(f"申请材料，共 {len(detail.materials)} 项。")
        for i, m in enumerate(detail.materials, start=1):
            copies = f"，{m.copies} 份" if getattr(m, "copies", 0) else ""
            out.append(f"第 {i} 项，{m.name}{copies}。")
    else:
        out.append("申请材料：暂无。")
    if detail.steps:
        out.append("办理流程。")
        for i, step in enumerate(detail.steps, start=1):
            pieces = _pieces(step) or [""]
            out.append(f"第 {i} 步，{pieces[0]}")
            out.extend(pieces[1:])
    else:
        out.append("办理流程：暂无。")
    section("办理地点", detail.location)
    section("办理时间", detail.hours)
    return [s if s.endswith(("。", "！", "？", ".")) else s + "。" for s in out]


def espeak() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def default_player() -> list[str]:
    from kiosk.services.voice import PLAYERS

    return next((p for p in PLAYERS if shutil.which(p[0])), [])


class Reader:
    """Reads one script at a time. `read(script)` starts (a new script replaces the old one),
    `pause()`, `resume()`, `stop()`. `spoken` lists the sentences actually played to the end."""

    def __init__(self, *, player: list[str] | None = None, engine: str | None = None,
                 on_state: Callable[[str], None] | None = None):
        self.player = default_player() if player is None else player
        self.engine = espeak() if engine is None else engine
        self.on_state = on_state
        self.script: list[str] = []
        self.position = 0  # the sentence being read, or to resume from
        self.spoken: list[str] = []
        self.error = ""
        self._state = "idle"
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._run_id = 0
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return bool(self.engine)

    @property
    def state(self) -> str:
        return self._state

    def _set_state(self, state: str) -> None:
        self._state = state
        if self.on_state is not None:
            self.on_state(state)

    def read(self, script: Sequence[str]) -> None:
        self.stop()
        with self._lock:
            self.script = list(script)
            self.position = 0
        self._start()

    def pause(self) -> None:
        with self._lock:
            if self._state != "reading":
                return
            self._run_id += 1  # the worker stops after ending the player
            self._kill()
            self._set_state("paused")

    def resume(self) -> None:
        if self._state == "paused":
            self._start()

    def stop(self) -> None:
        with self._lock:
            self._run_id += 1
            self._kill()
            self.position = 0
            if self._state != "idle":
                self._set_state("idle")

    def wait(self, timeout: float = 30.0) -> bool:
        """Until the worker finished (tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()

    def _start(self) -> None:
        if not self.engine:
            self.error = "espeak-ng is not installed (Debian package espeak-ng): nothing can be read aloud"
            log.warning("read aloud: %s", self.error)
            return
        with self._lock:
            self._run_id += 1
            run = self._run_id
            self._set_state("reading")
        self._thread = threading.Thread(target=self._work, args=(run,), name="read-aloud", daemon=True)
        self._thread.start()

    def _work(self, run: int) -> None:
        with tempfile.TemporaryDirectory(prefix="yizhan-read-") as tmp:
            wav = Path(tmp) / "sentence.wav"
            while True:
                with self._lock:
                    if run != self._run_id:
                        return
                    if self.position >= len(self.script):
                        self.position = 0
                        self._set_state("idle")
                        return
                    sentence = self.script[self.position]
                if not self._play(run, sentence, wav):
                    return
                with self._lock:
                    if run != self._run_id:
                        return
                    self.spoken.append(sentence)
                    self.position += 1

    def _play(self, run: int, sentence: str, wav: Path) -> bool:
        """Synthesise and play one sentence; False if the reading ended (stopped, paused, failed)."""
        assert self.engine
        try:
            subprocess.run([self.engine, "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(wav), sentence],
                           capture_output=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            return self._fail(run, f"espeak-ng failed: {exc}")
        if not self.player:
            log.info("read aloud (no audio player): %s", sentence)
            return True
        with self._lock:
            if run != self._run_id:
                return False
            try:
                self._proc = subprocess.Popen([*self.player, str(wav)], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE)
            except OSError as exc:
                return self._fail(run, f"audio player {self.player[0]} failed: {exc}", locked=True)
            proc = self._proc
        _, err = proc.communicate()
        with self._lock:
            if run != self._run_id:
                return False
            if proc.returncode != 0:
                return self._fail(run, f"audio player {self.player[0]} failed: "
                                       f"{err.decode(errors='replace').strip()[-200:]}", locked=True)
        return True

    def _fail(self, run: int, message: str, *, locked: bool = False) -> bool:
        self.error = message
        log.warning("read aloud: %s", message)

        def finish() -> None:
            if run == self._run_id:
                self.position = 0
                self._set_state("idle")

        if locked:
            finish()
        else:
            with self._lock:
                finish()
        return False
