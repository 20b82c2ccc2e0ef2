"""`yizhan hall` end to end: the embedded default starts, renders every screen and exits."""

import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def test_hall_offscreen_screenshots_then_exits(tmp_path):
    out = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "kiosk.cli", "hall", "--offscreen", "--screenshots", str(out),
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=240, cwd=REPO,
    )
    log = "\n".join(line for line in result.stderr.splitlines() if "propagateSizeHints" not in line)
    assert result.returncode == 0, log[-6000:]
    names = {p.stem for p in out.glob("*.png")}
    for expected in ("kiosk-home", "kiosk-guide", "kiosk-search-db", "kiosk-ticket", "kiosk-large-text",
                     "kiosk-english", "kiosk-portrait", "kiosk-landscape", "counter", "editor_guide", "board"):
        assert expected in names, f"{expected}.png missing; got {sorted(names)}"
    home = Image.open(out / "kiosk-home.png")
    assert home.size == (1920, 1080)
    assert len(home.getcolors(1 << 20) or []) > 50  # a painted screen, not a blank one
    # The shots took tickets and edited content on a throw-away copy: the hall's own data is untouched.
    assert not (tmp_path / "data").exists()


def test_the_bundled_font_covers_chinese(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    from kiosk.config import UI_FONT
    from kiosk.ui.fonts import install_ui_font

    family = install_ui_font(qapp, UI_FONT)
    assert family.startswith("WenQuanYi")
    metrics = QFontMetrics(QFont(family, 20))
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "幸福社区工作站最低生活保障取号")


def test_second_start_paints_the_home_from_the_snapshot_before_loading_the_rest(tmp_path):
    """The first start writes the start-up snapshot; the next one shows the home before the
    config is validated and the cache opened, then starts everything and exits when ready."""
    import os

    config = tmp_path / "hall.toml"
    config.write_text(f'[hall]\ndata_dir = "{tmp_path / "data"}"\n[lan]\nport = 0\n'
                      '[office]\nurl = "http://127.0.0.1:9"\n[board]\nenabled = false\n', encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    command = [sys.executable, "-X", "faulthandler", "-m", "kiosk.cli", "hall", "--offscreen", "--exit-when-ready",
               "--config", str(config)]

    def start() -> list[str]:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
        assert result.returncode == 0, result.stderr[-4000:]
        return [line for line in result.stderr.splitlines() if "kiosk.app:" in line]

    first = start()
    assert "hall app ready" in first[0] and "kiosk home on screen" in first[1]  # no snapshot yet
    assert list((tmp_path / "xdg-cache" / "yizhan").glob("startup-*.json"))
    second = start()
    assert "kiosk home on screen" in second[0] and "hall app ready" in second[1]

    config.write_text(config.read_text(encoding="utf-8") + "[kiosk]\nlarge_text = true\n", encoding="utf-8")
    assert "hall app ready" in start()[0]  # a changed config: the snapshot no longer counts

    config.write_text("[kiosk]\nidle_seconds = 'soon'\n", encoding="utf-8")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 2 and "idle_seconds" in result.stderr  # a broken config is reported, not painted over


def test_hall_command_starts_without_the_database_and_validation_libraries():
    """What `yizhan hall` imports before its first paint: no SQLAlchemy, pydantic or Alembic, nor
    the search, QR, zoneinfo or staff-overlay modules."""
    code = ("import sys; from kiosk.cli import build_parser; build_parser('hall'); "
            "import kiosk.app, kiosk.startup, kiosk.ui.resident.window, kiosk.ui.first_paint; "
            "print(sorted(m for m in ('sqlalchemy', 'pydantic', 'alembic', 'rapidfuzz', 'pypinyin', 'qrcode', "
            "'zoneinfo', 'kiosk.ui.resident.staff') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_command_is_mapped_to_the_module_that_registers_it():
    import argparse

    from kiosk.cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == sorted(COMMANDS)
    for command in COMMANDS:  # and each one alone builds the parser it needs
        one = build_parser(command)
        assert command in next(a for a in one._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_a_hall_that_cannot_start_exits_instead_of_hanging(tmp_path):
    """The data directory is a file: the hall cannot open its cache. The app says why and exits 1
    instead of leaving a kiosk that never gets ready."""
    import os

    data = tmp_path / "data"
    data.write_text("not a directory")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "hall", "--offscreen", "--exit-when-ready",
                             "--data-dir", str(data)], capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"the hall app could not start: [Errno 17] File exists: '{data}'" in result.stderr


def test_a_stop_signal_shuts_the_hall_down_cleanly(tmp_path):
    """SIGTERM (a service manager's stop, a shutdown) leaves like "关闭程序": exit 0, workers
    stopped, the start-up snapshot saved."""
    import os
    import signal
    import time

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    config = tmp_path / "hall.toml"
    config.write_text(f'[hall]\ndata_dir = "{tmp_path / "data"}"\n[lan]\nport = 0\n'
                      '[office]\nurl = "http://127.0.0.1:9"\n[board]\nenabled = false\n', encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "hall", "--offscreen", "--config", str(config)],
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "hall app ready" in line:
            break
    snapshot = next((tmp_path / "xdg-cache" / "yizhan").glob("startup-*.json"))
    snapshot.unlink()  # written at start; must be written again on the way out
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 0, "".join(lines) + rest
    assert time.monotonic() - started < 10
    assert "hall app stopped" in rest
    assert snapshot.exists()
