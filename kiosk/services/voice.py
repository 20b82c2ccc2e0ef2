"""The spoken call in the hall: "请 A023 号 到 3 号窗口办理", offline, from bundled clips.

Clips in assets/sounds (made once with espeak-ng, see make_clips.py there) are joined per call
into one WAV and played by a subprocess player (aplay, paplay or pw-play; QtMultimedia is not
part of PySide6-Essentials). One worker thread plays calls strictly one after another, so a
new call never cuts one off; a recall is simply spoken again. With no player or no audio
device the caller stays silent and logs each call, which is also what CI sees.
"""

from __future__ import annotations

import logging
import queue
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import ASSETS, HallConfig, VoiceSection
from kiosk.services.events import TicketCalled, TicketRecalled

log = logging.getLogger(__name__)

SOUNDS = ASSETS / "sounds"
PLAYERS = (["aplay", "-q"], ["paplay"], ["pw-play"])
GAP_MS = 90  # breath between words
RETRY_S = 60  # a failed player is tried again after this long
NO_PLAYER = "找不到播放器 aplay / paplay / pw-play"


def window_words(number: int) -> list[str]:
    """3 -> ["d3"], 10 -> ["shi"], 12 -> ["shi", "d2"], 25 -> ["d2", "shi", "d5"] (Chinese numerals)."""
    if number < 0 or number > 99:
        return [f"d{c}" for c in str(abs(number))]
    if number < 10:
        return [f"d{number}"]
    tens, ones = divmod(number, 10)
    words = ([] if tens == 1 else [f"d{tens}"]) + ["shi"]
    return words + ([f"d{ones}"] if ones else [])


def call_clips(label: str, window_number: int) -> list[str]:
    """Clip names for 请 <A023> 号 到 <3> 号窗口办理; ticket digits are read one by one."""
    clips = ["qing"]
    for ch in label.upper():
        if ch.isdigit():
            clips.append(f"d{ch}")
        elif "A" <= ch <= "Z":
            clips.append(f"letter_{ch}")
        else:
            raise ValueError(f"cannot speak {ch!r} in ticket label {label!r}")
    return clips + ["hao", "dao", *window_words(window_number), "chuangkou_banli"]


def call_text(label: str, window_number: int) -> str:
    return f"请 {label} 号 到 {window_number} 号窗口办理"


@dataclass(frozen=True)
class Announcement:
    text: str
    clips: list[str]


class VoiceCaller:
    """Queues calls and plays them in turn on one thread."""

    def __init__(self, config: HallConfig | VoiceSection | None = None, *, player: list[str] | None = None):
        section = config.voice if isinstance(config, HallConfig) else (config or VoiceSection())
        self.section = section
        self.sounds = Path(section.sounds_dir or SOUNDS)
        if player is not None:
            self.player = player
        elif section.player:
            self.player = shlex.split(section.player)
        else:
            self.player = next((p for p in PLAYERS if shutil.which(p[0])), [])
        self.spoken: list[str] = []  # texts announced (played or logged), in order
        self.device_ok = bool(self.player)
        # Why calls are silent now ("" when they are not), shown on the consoles as 语音：故障;
        # the player is tried again after RETRY_S (a headset plugged in, PulseAudio restarted).
        self.fault = "" if self.player else NO_PLAYER
        self.clock = time.monotonic
        self._retry_at = self.clock() + RETRY_S
        self._configured_player = player
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()
        if not self.player:
            log.warning("no audio player (aplay/paplay/pw-play) found: voice calls are only logged")

    # -- wiring --------------------------------------------------------------------------------

    def attach(self, events: Any) -> None:
        """Speak every call and recall the queue announces."""
        events.subscribe(TicketCalled, self._on_call)
        events.subscribe(TicketRecalled, self._on_call)

    def _on_call(self, event: TicketCalled | TicketRecalled) -> None:
        if event.window_number is not None:
            self.announce(event.ticket.label, int(event.window_number))

    # -- calls ---------------------------------------------------------------------------------

    def announce(self, label: str, window_number: int) -> None:
        """Queue one call; returns at once. Disabled voice ignores it."""
        if not self.section.enabled:
            return
        text = call_text(label, window_number)
        clips = ["chime"] if self.section.chime_only else ["chime", *call_clips(label, window_number)]
        with self._lock:
            self._pending += self.section.repeat
            self._idle.clear()
        for _ in range(self.section.repeat):
            self._queue.put(Announcement(text, clips))

    def status(self) -> tuple[str, bool]:
        """The consoles' 语音 status: text and whether it is fine."""
        if not self.section.enabled:
            return "语音：未启用", True
        if self.fault:
            return f"语音：故障（{self.fault}），稍后自动重试", False
        return "语音：正常", True

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued call was spoken (tests, shutdown)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    # -- the worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._idle.set()
                return
            try:
                self._speak(item)
            except Exception:
                log.exception("voice call %s failed", item.text)
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def _speak(self, item: Announcement) -> None:
        self.spoken.append(item.text)
        label = "chime" if self.section.chime_only else item.text
        if self.fault and self.clock() < self._retry_at:
            log.info("voice (silent): %s", label)
            return
        if not self.player and self._configured_player is None and not self.section.player:
            self.player = next((p for p in PLAYERS if shutil.which(p[0])), [])
        if not self.player:
            self._failed(NO_PLAYER, label)
            return
        try:
            with tempfile.TemporaryDirectory(prefix="yizhan-voice-") as tmp:
                path = Path(tmp) / "call.wav"
                join_clips([self.sounds / f"{c}.wav" for c in item.clips], path)
                result = subprocess.run([*self.player, str(path)], capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:  # the player is missing or hangs
            self._failed(f"{self.player[0]}：{exc}"[:200], label)
            return
        if result.returncode != 0:  # no sound card, no PulseAudio
            reason = result.stderr.decode(errors="replace").strip()[-160:] or f"exit {result.returncode}"
            self._failed(f"{self.player[0]}：{reason}", label)
            return
        if self.fault:
            log.warning("voice calls play again (%s)", self.player[0])
        self.fault, self.device_ok = "", True
        log.info("voice: %s", label)

    def _failed(self, reason: str, label: str) -> None:
        """Silent for now; said on the consoles; tried again after RETRY_S."""
        if not self.fault:
            log.warning("voice calls failed (%s); they are only logged, and tried again every %d s",
                        reason, RETRY_S)
        self.fault, self.device_ok = reason, False
        self._retry_at = self.clock() + RETRY_S
        log.info("voice (silent): %s", label)


def join_clips(clips: list[Path], out: Path, gap_ms: int = GAP_MS) -> Path:
    """Concatenate same-format WAV clips with short silences between them."""
    params = None
    frames = []
    for clip in clips:
        if not clip.is_file():
            raise FileNotFoundError(f"voice clip missing: {clip}")
        with wave.open(str(clip)) as w:
            p = (w.getnchannels(), w.getsampwidth(), w.getframerate())
            if params is None:
                params = p
            elif p != params:
                raise ValueError(f"{clip.name} is {p}, the other clips are {params}")
            frames.append(w.readframes(w.getnframes()))
    if params is None:
        raise ValueError("no clips to join")
    channels, width, rate = params
    silence = b"\x00" * (rate * gap_ms // 1000) * channels * width  # whole frames, or samples misalign
    with wave.open(str(out), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(silence.join(frames))
    return out
