"""`yizhan doctor`'s checks: is this hall PC ready to serve residents, and if not, what is wrong?

Each check looks at one thing a technician can fix on site and returns a `Finding` in Chinese
and English: ok, warn (works, but look at it), fail (the hall cannot serve as configured) or
skip (not configured, so not needed: no printer, voice off). A check that raises is a failure
with the exception's message, never a traceback. The screen, touch panel and font are probed
by Qt in a child process (kiosk/ui/screen_probe.py), because Qt aborts a process whose display
it cannot open.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

from kiosk.config import HallConfig

State = Literal["ok", "warn", "fail", "skip"]
LABELS: dict[State, str] = {"ok": "正常 ok", "warn": "注意 WARN", "fail": "故障 FAIL", "skip": "不需要 skip"}

MIN_SCREEN = (1024, 600)  # smaller and the kiosk's large-text pages no longer fit
BACKUP_MAX_AGE_H = 48
CLOCK_WARN_S = 30  # ticket times and "waited N minutes" are off by this much
CLOCK_FAIL_S = 300


@dataclass(frozen=True)
class Finding:
    zh: str
    en: str
    state: State
    detail: str

    def line(self) -> str:
        return f"[{LABELS[self.state]}] {self.zh} {self.en}: {self.detail}"


@dataclass
class Options:
    need_touch: bool = True
    timeout_s: float = 3.0  # for the board, the printer and the office


def run_checks(config: HallConfig, options: Options) -> list[Finding]:
    findings = []
    for zh, en, check in CHECKS:
        try:
            state, detail = check(config, options)
        except Exception as exc:  # one broken part must not hide the others
            state, detail = "fail", f"{type(exc).__name__}: {exc}"
        findings.append(Finding(zh, en, state, detail))
    return findings


# -- screen, touch, fonts --------------------------------------------------------------------

_probe_cache: dict[str, Any] = {}


def screen_probe(config: HallConfig) -> dict[str, Any]:
    """Qt's view of the screen, touch and font (run once, in a child process)."""
    if "result" not in _probe_cache:
        env = dict(os.environ)
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM")):
            _probe_cache["result"] = {"error": "没有图形显示 no display: DISPLAY is not set "
                                               "(over ssh on the hall PC: DISPLAY=:0 yizhan doctor)"}
            return _probe_cache["result"]
        done = subprocess.run([sys.executable, "-m", "kiosk.ui.screen_probe", str(config.ui_font())],
                              capture_output=True, text=True, timeout=60, env=env)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            _probe_cache["result"] = {"error": f"Qt cannot open the display: {tail}"}
        else:
            _probe_cache["result"] = json.loads(done.stdout.strip().splitlines()[-1])
    return _probe_cache["result"]


def check_display(config: HallConfig, options: Options) -> tuple[State, str]:
    probe = screen_probe(config)
    if "error" in probe:
        return "fail", probe["error"]
    if probe["platform"] == "offscreen" or not probe["screens"]:
        return "fail", f"no screen (Qt platform {probe['platform']})"
    primary = next((s for s in probe["screens"] if s["primary"]), probe["screens"][0])
    w, h = primary["width"], primary["height"]
    shown = ", ".join(f"{s['name']} {s['width']}×{s['height']}" for s in probe["screens"])
    if min(w, h) < min(MIN_SCREEN) or max(w, h) < max(MIN_SCREEN):
        return "fail", f"{shown}: smaller than {MIN_SCREEN[0]}×{MIN_SCREEN[1]}, the kiosk's pages do not fit"
    landscape = w >= h
    if landscape != (config.kiosk.orientation == "landscape"):
        return "warn", f"{shown}: the screen is {'landscape' if landscape else 'portrait'} but " \
                       f"[kiosk] orientation = {config.kiosk.orientation!r}"
    return "ok", f"{shown} ({probe['platform']})"


def check_touch(config: HallConfig, options: Options) -> tuple[State, str]:
    probe = screen_probe(config)
    if "error" in probe:
        return "fail", "cannot look for a touch screen without a display"
    if probe["touch"]:
        return "ok", ", ".join(probe["touch"])
    if not options.need_touch:
        return "skip", "none found, and --no-touch says none is needed"
    return "fail", "未找到触摸屏 no touch screen found (check its USB cable; --no-touch on a PC without one)"


def check_fonts(config: HallConfig, options: Options) -> tuple[State, str]:
    font = config.ui_font()
    if not font.is_file():
        return "fail", f"{font}: file not found"
    probe = screen_probe(config)
    if "error" in probe:
        return "warn", f"{font} exists; not checked without a display"
    if not probe["font_families"]:
        return "fail", f"{font}: Qt cannot load it"
    if probe["font_missing"]:
        return "fail", f"{font} ({probe['font_families'][0]}) lacks {probe['font_missing']}: Chinese would show as boxes"
    return "ok", f"{probe['font_families'][0]} from {font}, Chinese glyphs present"


# -- board, printer, audio -------------------------------------------------------------------


def check_serial_ports(config: HallConfig, options: Options) -> tuple[State, str]:
    from serial.tools import list_ports

    ports = sorted(p.device for p in list_ports.comports())
    wanted = [d for d in (config.board.port, config.printer.device if config.printer.connection == "serial" else "")
              if d and "://" not in d]
    missing = [d for d in wanted if not Path(d).exists() and not d.upper().startswith("COM")]
    listed = ", ".join(ports) or "none"
    if missing:
        return "fail", f"configured {', '.join(missing)} not present (ports here: {listed})"
    return "ok", f"ports here: {listed}"


def board_answers(config: Any, timeout_s: float) -> tuple[bool, str]:
    """Ask the board at config.port to answer: Alpha's read-back query, or (protocols that
    answer every frame, like BX) a one-line self-test message. Returns (answered, detail)."""
    import serial

    from display.cli import message_content
    from display.protocols import ProtocolError, get_protocol

    protocol = get_protocol(config.protocol, config)
    query = protocol.ack_query() if not protocol.ack_per_frame else None
    frames = [query] if query is not None else protocol.full_refresh(message_content(config, "设备自检", None))
    try:
        port = serial.serial_for_url(config.port, baudrate=config.baudrate, bytesize=config.bytesize,
                                     parity=config.parity, stopbits=config.stopbits, timeout=0.05,
                                     write_timeout=timeout_s, exclusive=True)
    except (serial.SerialException, ValueError, OSError) as exc:
        busy = " (in use: is the hall app running? systemctl stop yizhan-hall)" if "lock" in str(exc).lower() else ""
        return False, f"cannot open {config.port}: {exc}{busy}"
    decoder = protocol.decoder()
    with port:
        for frame in frames:
            port.write(frame)
            port.flush()
            deadline = time.monotonic() + timeout_s
            ack = None
            while ack is None and time.monotonic() < deadline:
                for item in decoder.feed(port.read(4096)):
                    if not isinstance(item, ProtocolError):
                        ack = protocol.parse_ack(item) or ack
            if ack is None:
                return False, f"无应答 no answer from {config.port} within {timeout_s:g} s " \
                              f"(check power, cable, baud rate {config.baudrate}, address {config.address})"
            if not ack.ok:
                return False, f"拒绝 the board refused: {ack.detail}"
    return True, f"{protocol.title} at {config.port} answered"


def check_board(config: HallConfig, options: Options) -> tuple[State, str]:
    if not config.board.enabled:
        return "skip", "[board] enabled = false"
    if not config.board.port:
        return "ok", "virtual board (a window on this PC; no LED board configured)"
    answered, detail = board_answers(config.board, options.timeout_s)
    return ("ok" if answered else "fail"), detail


def check_printer(config: HallConfig, options: Options) -> tuple[State, str]:
    from kiosk.services.printer import TicketPrinter

    if config.printer.connection == "none":
        return "skip", "[printer] connection = \"none\" (tickets only on screen)"
    status = TicketPrinter(config).refresh_status()
    if status.alarm or not status.can_print:
        return "fail", f"{status.message} ({status.state})"
    if status.state == "unknown":
        return "warn", f"{status.message} (a {config.printer.connection} connection reports no status)"
    return ("warn" if status.state == "paper_low" else "ok"), f"{status.message} ({status.state})"


def check_audio(config: HallConfig, options: Options) -> tuple[State, str]:
    import shlex

    from kiosk.services.voice import PLAYERS, SOUNDS

    if not config.voice.enabled:
        return "skip", "[voice] enabled = false"
    player = shlex.split(config.voice.player) if config.voice.player else \
        next((p for p in PLAYERS if shutil.which(p[0])), [])
    if not player:
        return "fail", "no audio player (install alsa-utils for aplay, or set [voice] player)"
    chime = Path(config.voice.sounds_dir or SOUNDS) / "chime.wav"
    if not chime.is_file():
        return "fail", f"{chime}: file not found"
    done = subprocess.run([*player, str(chime)], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return "fail", f"{' '.join(player)} could not play the chime: {tail}"
    return "ok", f"played the chime with {' '.join(player)} (did you hear it?)"


# -- office, disk, backups, cache ------------------------------------------------------------


def check_office(config: HallConfig, options: Options) -> tuple[State, str]:
    import requests

    office = config.office
    if not office.url:
        return "ok", "embedded office server on this PC ([office] url is empty)"
    verify: bool | str = str(office.ca_file) if office.ca_file else office.verify_tls
    url = office.url.rstrip("/") + "/api/v1/hello"
    try:
        reply = requests.get(url, headers={"Authorization": f"Bearer {office.token}"},
                             timeout=options.timeout_s, verify=verify)
    except requests.exceptions.SSLError as exc:
        return "fail", f"TLS: {office.url}'s certificate is not trusted ({exc.__context__ or exc}); " \
                       "set [office] ca_file"
    except requests.RequestException as exc:
        return "fail", f"cannot reach {office.url}: {type(exc).__name__}"
    if reply.status_code in (401, 403):
        return "fail", f"令牌无效 the office refused this hall's token (HTTP {reply.status_code}): " \
                       "yizhan office new-token on the office server"
    if reply.status_code != 200:
        return "fail", f"{url} answered HTTP {reply.status_code}"
    hall = reply.json().get("hall")
    if hall != config.hall.code:
        return "fail", f"the token belongs to hall {hall!r}, but [hall] code = {config.hall.code!r}"
    notes = [f"{office.url} ok, token of hall {hall}", "TLS verified" if url.startswith("https") else "no TLS"]
    state: State = "ok"
    if "Date" in reply.headers:
        skew = (datetime.now(UTC) - parsedate_to_datetime(reply.headers["Date"])).total_seconds()
        notes.append(f"clock {skew:+.0f} s from the office's")
        if abs(skew) > CLOCK_FAIL_S:
            state = "fail"
        elif abs(skew) > CLOCK_WARN_S:
            state = "warn"
    return state, ", ".join(notes)


def check_disk(config: HallConfig, options: Options) -> tuple[State, str]:
    from kiosk.services.disk import FAIL_MB, WARN_MB, free_mb

    free = free_mb(config.data_dir())
    detail = f"{free} MB free on the disk of {config.data_dir()}"
    if free < FAIL_MB:
        return "fail", f"{detail}: the cache may soon fail to write (under {FAIL_MB} MB)"
    if free < WARN_MB:
        return "warn", f"{detail}: under {WARN_MB} MB"
    return "ok", detail


def check_backups(config: HallConfig, options: Options) -> tuple[State, str]:
    folder = config.data_dir() / "backups"
    if not config.cache_path().exists():
        return "skip", "no cache yet (created on the first start)"
    backups = sorted(folder.glob("*.sqlite3"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    if not backups:
        return "warn", f"no backup in {folder} (yizhan db backup)"
    newest = backups[-1]
    age_h = (time.time() - newest.stat().st_mtime) / 3600
    detail = f"{len(backups)} in {folder}, newest {newest.name} ({age_h:.0f} h old)"
    return ("warn" if age_h > BACKUP_MAX_AGE_H else "ok"), detail


def check_cache(config: HallConfig, options: Options) -> tuple[State, str]:
    from kiosk.services.disk import existing_parent
    from sync.cache.db import check_integrity

    path = config.cache_path()
    folder = existing_parent(config.data_dir())
    if not os.access(folder, os.W_OK):
        return "fail", f"{folder} is not writable by this user"
    if not path.exists():
        return "ok", f"{path}: none yet (created on the first start)"
    problem = check_integrity(path)
    if problem:
        return "fail", f"{path}: damaged: {problem}"
    return "ok", f"{path}: integrity ok"


def check_runs(config: HallConfig, options: Options) -> tuple[State, str]:
    from kiosk.runs import RunLog

    runs = RunLog(config.data_dir())
    paused = runs.paused()
    if paused is not None:
        return "fail", f"暂停服务 paused after {paused.crashes} unexpected stops; last reason: {paused.reason}"
    return "ok", "no crash loop"


CHECKS: list[tuple[str, str, Callable[[HallConfig, Options], tuple[State, str]]]] = [
    ("显示屏", "display", check_display),
    ("触摸屏", "touch", check_touch),
    ("字体", "fonts", check_fonts),
    ("串口", "serial ports", check_serial_ports),
    ("LED屏", "LED board", check_board),
    ("打印机", "printer", check_printer),
    ("声音", "audio", check_audio),
    ("街道办", "office", check_office),
    ("磁盘", "disk space", check_disk),
    ("备份", "backups", check_backups),
    ("本地数据", "cache", check_cache),
    ("运行", "app runs", check_runs),
]
