"""Text that reaches a terminal is safe: names from a login screen or a database never drive the
terminal (escapes shown, not sent), bad names are refused, huge config values are not echoed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import HallConfig
from kiosk.hall import Hall
from kiosk.services.auth import AuthError, AuthService

ROOT = Path(__file__).resolve().parents[3]
EVIL = "\x1b]0;pwned\x07\x1b[2J\u202e王"


def yizhan(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def data_dir(tmp_path):
    config = HallConfig()
    config.hall.data_dir = tmp_path
    hall = Hall(config)
    with pytest.raises(AuthError):
        AuthService(hall.cache).login(EVIL, "1234")  # as a LAN login would: audited with the name given
    hall.close()
    return tmp_path


def assert_inert(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


def test_audit_shows_control_characters_escaped(data_dir):
    out = yizhan("audit", "--data-dir", str(data_dir), "--action", "login_failed")
    assert out.returncode == 0, out.stderr
    assert_inert(out.stdout)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202e王" in out.stdout


def test_staff_list_shows_control_characters_escaped(data_dir):
    conn = sqlite3.connect(data_dir / "hall.sqlite3")  # (a name written before names were checked)
    conn.execute("UPDATE staff SET name = ? WHERE name = '李文'", (EVIL,))
    conn.commit()
    conn.close()
    out = yizhan("staff", "list", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    assert_inert(out.stdout)
    assert "\\x1b]0;pwned" in out.stdout


@pytest.mark.parametrize("name", ["", "   ", "王\x1b[2J", "王\u202e", "王" * 51])
def test_staff_add_refuses_bad_names(data_dir, name):
    out = yizhan("staff", "add", name, "--role", "clerk", "--data-dir", str(data_dir), stdin="2468\n")
    assert out.returncode == 1
    assert "姓名" in out.stderr
    assert_inert(out.stderr)
    conn = sqlite3.connect(data_dir / "hall.sqlite3")
    assert conn.execute("SELECT count(*) FROM staff").fetchone()[0] == 3  # nothing added
    conn.close()


def test_office_add_hall_refuses_bad_names_and_halls_escapes(tmp_path):
    db = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    for name in ["", "幸福\x1b[2J", "幸" * 65]:
        out = yizhan("office", "add-hall", name, "--database", db)
        assert out.returncode != 0 and "hall name" in out.stderr, out.stderr
        assert_inert(out.stderr)
    assert yizhan("office", "add-hall", "幸" * 64, "--database", db, "--code", "ok").returncode == 0
    conn = sqlite3.connect(tmp_path / "office.sqlite3")  # a name from before names were checked
    conn.execute("UPDATE hall SET name = ?", (EVIL,))
    conn.commit()
    conn.close()
    out = yizhan("office", "halls", "--database", db)
    assert out.returncode == 0, out.stderr
    assert_inert(out.stdout)
    assert "\\x1b]0;pwned" in out.stdout


def test_check_config_shows_the_start_and_length_of_a_huge_value(tmp_path):
    path = tmp_path / "hall.toml"
    path.write_text(f'[hall]\nname = "{"长" * 2_000_000}"\n[office]\nurl = "{"x" * 2_000_000}"\n', encoding="utf-8")
    out = yizhan("check-config", str(path))
    assert out.returncode == 1
    assert len(out.stdout) < 2000
    assert "2000000 characters" in out.stdout
    assert "hall.name" in out.stdout and "office.url" in out.stdout
