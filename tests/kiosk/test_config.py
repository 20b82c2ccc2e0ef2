"""The hall config: the examples are valid, and every kind of mistake is named with its place."""

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, HallConfig, load_config

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_hall_config_is_valid():
    config = load_config(REPO / "config" / "hall.example.toml")
    assert config.hall.name == "幸福社区工作站"
    assert config.board.width == 192


def test_no_config_gives_defaults_with_a_per_user_data_dir():
    config = load_config(None)
    assert isinstance(config, HallConfig)
    assert config.cache_path().name == "hall.sqlite3"
    assert "yizhan" in str(config.data_dir())


def test_every_problem_is_reported_with_key_path_and_line(tmp_path):
    path = write(tmp_path, '[hall]\nnmae = "x"\n\n[kiosk]\nidle_seconds = "ninety"\n\n[board]\nport = "foo://bar"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    problems = err.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("line 2: hall.nmae: unknown key")
    assert problems[1].startswith("line 5: kiosk.idle_seconds:") and "integer" in problems[1]
    assert problems[2].startswith("line 8: board.port:") and "foo://bar" in problems[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[office]\nurl = "ftp://office"\n', "office.url: must be an http:// or https:// address"),
        ('[kiosk]\nui_font = "missing.ttf"\n', "kiosk.ui_font: file not found"),
        ('[hall]\ntimezone = "Mars/Olympus"\n', "hall.timezone: unknown time zone"),
        ('[board]\nport = "socket://no-port-here"\n', "board.port: pyserial cannot use port"),
        ("[hall\nname = 1\n", "TOML syntax error"),
    ],
)
def test_bad_values_are_named(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_good_serial_ports_are_accepted(tmp_path):
    for port in ["/dev/ttyUSB0", "COM3", "loop://", "socket://127.0.0.1:7000", "rfc2217://10.0.0.5:2217"]:
        config = load_config(write(tmp_path, f'[board]\nport = "{port}"\n'))
        assert config.board.port == port


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "ui.ttf").write_bytes(b"not really a font")
    config = load_config(write(tmp_path, '[kiosk]\nui_font = "fonts/ui.ttf"\n'))
    assert config.ui_font() == tmp_path / "fonts" / "ui.ttf"


def yizhan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, cwd=REPO)


def test_check_config_command_exit_codes(tmp_path):
    good = yizhan("check-config", str(REPO / "config" / "hall.example.toml"))
    assert good.returncode == 0, good.stdout + good.stderr
    bad = yizhan("check-config", str(write(tmp_path, '[hall]\nnmae = 1\n[board]\nbaudrate = "fast"\nport = "x://y"\n')))
    assert bad.returncode == 1
    assert "hall.nmae" in bad.stdout and "board.baudrate" in bad.stdout and "board.port" in bad.stdout


def test_check_config_warns_when_qr_codes_point_at_this_pc(tmp_path):
    local = yizhan("check-config", str(write(tmp_path, '[hall]\nname = "幸福社区工作站"\n')))
    assert local.returncode == 0 and "127.0.0.1:8700" in local.stdout and "手机打不开" in local.stdout
    reachable = yizhan("check-config", str(write(tmp_path, '[office]\nurl = "http://127.0.0.1:8700"\n'
                                                           'public_url = "https://jd.example.gov.cn"\n')))
    assert reachable.returncode == 0 and "手机打不开" not in reachable.stdout


def test_phones_cannot_open_loopback_addresses():
    from kiosk.services.links import phones_cannot_open

    for url in ("http://127.0.0.1:8700", "http://localhost:8700/", "http://[::1]:8700", "http://127.8.9.1"):
        assert phones_cannot_open(url), url
    for url in ("http://192.168.1.10:8700", "https://jd.example.gov.cn", "http://10.0.0.2"):
        assert not phones_cannot_open(url), url


def test_check_config_on_office_example():
    result = yizhan("check-config", str(REPO / "config" / "office.example.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "office config" in result.stdout
