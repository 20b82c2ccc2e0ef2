"""`yizhan staff` and `yizhan audit`: PINs come from standard input only, never argv."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.services.auth import AuthError, AuthService
from sync.cache.db import open_cache

REPO = Path(__file__).resolve().parents[3]


def run(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path):
    return ["--data-dir", str(tmp_path / "data")]


def auth_for(data):
    return AuthService(open_cache(Path(data[1]) / "hall.sqlite3"))


def test_add_list_reset_with_pin_from_a_pipe(monkeypatch, capsys, data):
    code, out, err = run(monkeypatch, capsys, "staff", "add", "李站长", "--role", "head", *data, stdin="97531\n")
    assert code == 0 and "已添加 李站长" in out and "97531" not in out + err
    code, out, _ = run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "editor", *data, stdin="2468\n")
    assert code == 0
    auth = auth_for(data)
    assert auth.login("李站长", "97531").role == "head"
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login("王芳", "0000")
    code, out, _ = run(monkeypatch, capsys, "staff", "list", *data)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("李站长\thead\t站长\t启用") or lines[1].startswith("李站长\thead\t站长\t启用")
    assert any(line.startswith("王芳\teditor\t内容编辑\t启用，锁定至") for line in lines)
    code, out, _ = run(monkeypatch, capsys, "staff", "reset-pin", "王芳", *data, stdin="8642\n")
    assert code == 0 and "锁定已解除" in out
    assert auth_for(data).login("王芳", "8642").name == "王芳"


def test_bad_pins_and_duplicates_are_refused(monkeypatch, capsys, data):
    code, _, err = run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "editor", *data, stdin="12\n")
    assert code == 1 and "4–8位数字" in err
    code, _, err = run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "editor", *data, stdin="")
    assert code == 1 and "没有从标准输入读到 PIN" in err
    run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "editor", *data, stdin="2468\n")
    code, _, err = run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "head", *data, stdin="1357\n")
    assert code == 1 and "已有名为 王芳 的账户" in err
    code, _, err = run(monkeypatch, capsys, "staff", "reset-pin", "无名氏", *data, stdin="1357\n")
    assert code == 1 and "没有名为 无名氏 的账户" in err


def test_there_is_no_way_to_give_the_pin_as_an_argument(monkeypatch, capsys, data):
    with pytest.raises(SystemExit) as caught:
        run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "editor", "--pin", "2468", *data)
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        run(monkeypatch, capsys, "staff", "add", "王芳", "2468", "--role", "editor", *data)


def test_audit_prints_and_filters(monkeypatch, capsys, data):
    run(monkeypatch, capsys, "staff", "add", "王芳", "--role", "editor", *data, stdin="2468\n")
    auth = auth_for(data)
    auth.login("王芳", "2468")
    with pytest.raises(AuthError):
        auth.login("王芳", "1111")
    code, out, _ = run(monkeypatch, capsys, "audit", *data)
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[3] for line in lines] == ["staff_add", "login", "login_failed"]
    assert "2468" not in out and "1111" not in out
    _, out, _ = run(monkeypatch, capsys, "audit", "--actor", "王芳", *data)
    assert [line.split()[3] for line in out.splitlines()] == ["login", "login_failed"]
    _, out, _ = run(monkeypatch, capsys, "audit", "--action", "login_failed", *data)
    assert '"attempts_left": 4' in out
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    _, out, _ = run(monkeypatch, capsys, "audit", "--since", tomorrow, *data)
    assert "没有符合条件的记录" in out
    _, out, _ = run(monkeypatch, capsys, "audit", "--since", "1h", *data)
    assert len(out.splitlines()) == 3
    with pytest.raises(SystemExit):
        run(monkeypatch, capsys, "audit", "--since", "yesterday", *data)
    assert "--since 应为日期或时间" in capsys.readouterr().err


def _yizhan(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], cwd=REPO, env=env, timeout=60, **kwargs)


def test_real_pipe_into_the_command(data):
    done = _yizhan("staff", "add", "张敏", "--role", "clerk", *data, input="5678\n", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert auth_for(data).login("张敏", "5678").role == "clerk"


def test_terminal_asks_twice_without_echo(data):
    import pty
    import termios

    def talk(first: str, second: str) -> tuple[int, str]:
        master, slave = pty.openpty()

        def controlling_tty() -> None:  # getpass reads /dev/tty: make the pty the child's terminal
            import fcntl

            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "staff", "add", "赵六", "--role", "editor",
                                 *data], cwd=REPO, env=env, stdin=slave, stdout=slave, stderr=slave,
                                start_new_session=True, preexec_fn=controlling_tty)
        os.close(slave)
        seen = b""

        def read_until(marker: bytes) -> None:
            nonlocal seen
            while marker not in seen:
                chunk = os.read(master, 1024)
                if not chunk:
                    raise AssertionError(f"no prompt {marker!r}; got {seen!r}")
                seen += chunk

        read_until("新 PIN".encode())
        os.write(master, first.encode() + b"\n")
        read_until("再输入一次".encode())
        os.write(master, second.encode() + b"\n")
        code = proc.wait(timeout=60)
        try:
            while chunk := os.read(master, 1024):
                seen += chunk
        except OSError:
            pass
        os.close(master)
        return code, seen.decode("utf-8", "replace")

    code, text = talk("1357", "1358")
    assert code == 1 and "两次输入的 PIN 不一致" in text and "1357" not in text
    code, text = talk("1357", "1357")
    assert code == 0 and "已添加 赵六" in text and "1357" not in text
    assert auth_for(data).login("赵六", "1357").role == "editor"
