"""`yizhan db upgrade|check|backup` as an installer or technician runs them."""

import sqlite3
import subprocess
import sys
from pathlib import Path

from sync.cache.db import SCHEMA_HEAD

REPO = Path(__file__).resolve().parents[3]


def yizhan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_upgrade_check_and_backup(tmp_path):
    data = str(tmp_path / "data")
    assert yizhan("db", "check", "--data-dir", data).returncode == 1  # nothing there yet: say so

    up = yizhan("db", "upgrade", "--data-dir", data)
    assert up.returncode == 0, up.stderr
    assert f"schema at revision {SCHEMA_HEAD}" in up.stdout

    check = yizhan("db", "check", "--data-dir", data)
    assert check.returncode == 0 and "integrity ok" in check.stdout

    target = tmp_path / "copy.sqlite3"
    backup = yizhan("db", "backup", "--data-dir", data, str(target))
    assert backup.returncode == 0, backup.stderr
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    conn.close()


def test_check_reports_a_damaged_cache(tmp_path):
    data = tmp_path / "data"
    assert yizhan("db", "upgrade", "--data-dir", str(data)).returncode == 0
    path = data / "hall.sqlite3"
    raw = bytearray(path.read_bytes())
    raw[0:16] = b"garbage garbage!"
    path.write_bytes(bytes(raw))
    check = yizhan("db", "check", "--data-dir", str(data))
    assert check.returncode == 1
    assert "DAMAGED" in check.stdout


def test_help_explains_every_command():
    top = yizhan("--help")
    assert top.returncode == 0
    for command in ("hall", "check-config", "db", "content", "staff", "audit", "office", "counter",
                    "led-sim", "led-send"):
        assert command in top.stdout, command
        sub = yizhan(command, "--help")
        assert sub.returncode == 0 and "usage: yizhan " + command in sub.stdout, command
