"""What is deployed where: the street-office server is installed with `pip install .[office]` (no
Qt, no serial port, no printer), so nothing in `sync` may import `kiosk` or PySide6, and the LED
driver in `display` never imports the hall app. Each check runs in a fresh interpreter, where
an import is really an import (the test process has long loaded everything)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]

# The packages the `[office]` extra does not install; the blocker below makes them unimportable,
# as they are on an office server.
HALL_ONLY = ["PySide6", "shiboken6", "serial", "escpos", "PIL", "qrcode", "pypinyin", "rapidfuzz", "requests"]

BLOCKER = f"""
import importlib.abc, sys
class HallOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HALL_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not installed with .[office])", name=name)
sys.meta_path.insert(0, HallOnly())
"""


def run_python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=timeout)


def loaded_after_importing(package: str, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Import every module of `package`; which top-level packages are then loaded."""
    code = f"""
import json, pkgutil, importlib, sys
import {package}
names = [m.name for m in pkgutil.walk_packages({package}.__path__, "{package}.")
         if ".migrations" not in m.name and not m.name.endswith({skip!r})]
for name in names:
    importlib.import_module(name)
print(json.dumps({{"modules": names, "top": sorted({{n.split(".")[0] for n in sys.modules}})}}))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_all_of_sync_loads_neither_kiosk_nor_qt():
    found = loaded_after_importing("sync")
    assert "sync.office.cli" in found["modules"] and "sync.client" in found["modules"]
    assert "kiosk" not in found["top"]
    assert "PySide6" not in found["top"]


def test_display_never_imports_kiosk():
    # The simulator window is the one Qt module of display/ (the LED simulator); it too stays clear of kiosk.
    found = loaded_after_importing("display")
    assert "display.simulator_window" in found["modules"]
    assert "kiosk" not in found["top"]


def test_display_without_its_window_needs_no_qt():
    found = loaded_after_importing("display", skip=("simulator_window",))
    assert "PySide6" not in found["top"]


def test_the_blocker_really_blocks():
    """The office tests below mean something only if the hall's packages are really out of reach."""
    result = run_python(BLOCKER + "import PySide6")
    assert result.returncode != 0 and "not installed with .[office]" in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_office_server_runs_without_the_hall_packages(tmp_path):
    """`yizhan office ...` with Qt, pyserial, python-escpos (and the rest of [hall]) not installed:
    a hall is added, the server serves it, and no hall-side module was ever imported."""
    config = tmp_path / "office.toml"
    config.write_text(f'[database]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    cli = BLOCKER + "import sys; from kiosk.cli import main; sys.exit(main(sys.argv[1:]))"
    added = run_python(cli, "office", "--config", str(config), "add-hall", "幸福社区工作站", "--code", "xingfu")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    watch = BLOCKER + """
import atexit, sys
def report():
    bad = sorted({n.split(".")[0] for n in sys.modules} & {"PySide6", "serial", "escpos", "kiosk.config"})
    print("HALL-MODULES", bad or "none", [n for n in sys.modules if n.startswith("kiosk.") and n != "kiosk.cli"],
          file=sys.stderr, flush=True)
atexit.register(report)
from kiosk.cli import main
sys.exit(main(sys.argv[1:]))
"""
    server = subprocess.Popen(
        [sys.executable, "-c", watch, "office", "--config", str(config), "serve", "--port", str(port)],
        cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        reply = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/api/v1/hello",
                                     headers={"Authorization": f"Bearer {token}"}, timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert reply is not None, server.communicate(timeout=10)
        assert reply.status_code == 200, reply.text
        assert reply.json()["hall"] == "xingfu"
    finally:
        server.send_signal(signal.SIGINT)  # as Ctrl+C: the server stops and the report is printed
        _out, err = server.communicate(timeout=30)
    assert "HALL-MODULES none []" in err, err
