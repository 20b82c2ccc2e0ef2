"""The hall's configuration: a TOML file validated with pydantic, or built-in defaults.

Every section forbids unknown keys so a typo is reported instead of silently ignored.
`load_config` raises `ConfigError` listing every problem with its key path and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator

from display.config import BoardConfig
from sync.checks import check_http_url, check_time_zone
from sync.config_file import ConfigError, find_line  # noqa: F401  (the hall's callers import them from here)
from sync.config_file import load_config as _load_config

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS = REPO_ROOT / "assets"
UI_FONT = ASSETS / "fonts" / "wqy-microhei.ttc"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def check_existing_file(value: Path | None) -> Path | None:
    if value is not None and not Path(value).is_file():
        raise ValueError(f"file not found: {value}")
    return value


class HallSection(Section):
    name: str = Field("幸福社区工作站", min_length=1, max_length=60)
    code: str = Field("xingfu", pattern=r"^[a-z0-9_-]{1,40}$")
    district: str = Field("示例区", max_length=60)
    street_office: str = Field("示例街道办事处", max_length=60)
    timezone: str = "Asia/Shanghai"
    data_dir: Path | None = None  # default: the per-user data directory

    _known_zone = field_validator("timezone")(check_time_zone)


class KioskSection(Section):
    orientation: Literal["landscape", "portrait"] = "landscape"
    fullscreen: bool = True
    idle_seconds: int = Field(90, ge=10, le=3600)
    language: Literal["zh_CN", "en"] = "zh_CN"
    large_text: bool = False
    ui_font: Path | None = None  # default: the bundled WenQuanYi Micro Hei
    max_pin_failures: int = Field(5, ge=1, le=20)  # wrong staff PINs in a row before the lockout
    lockout_minutes: int = Field(15, ge=1, le=1440)  # how long a staff account stays locked
    priority_tickets: bool = False  # residents may ask for a priority ticket (绿色通道: elderly, disabled)

    _font_exists = field_validator("ui_font")(check_existing_file)


class OfficeSection(Section):
    url: str = ""  # empty: start an embedded office server on loopback
    token: str = Field("", max_length=200)
    public_url: str = ""  # base of QR links residents open on their phones; default: url
    ca_file: Path | None = None  # custom CA bundle for the office's TLS certificate
    verify_tls: bool = True
    sync_interval_s: float = Field(15.0, gt=0, le=3600)  # polling (wait_s = 0, or the fallback)
    # Wait for office changes: one request held open up to this long, answered at once when
    # something is published to the hall; 0 polls every sync_interval_s instead.
    wait_s: float = Field(60.0, ge=0, le=300)
    timeout_s: float = Field(10.0, gt=0, le=300)

    @field_validator("url", "public_url")
    @classmethod
    def _http(cls, value: str) -> str:
        return check_http_url(value)

    _ca_exists = field_validator("ca_file")(check_existing_file)


class HallBoardConfig(BoardConfig):
    """The board table, plus a check that pyserial understands the port."""

    @field_validator("port")
    @classmethod
    def _pyserial_can_parse(cls, value: str) -> str:
        if value:
            check_serial_url(value)
        return value


def check_serial_url(url: str) -> None:
    """Raise ValueError unless pyserial can parse `url` (nothing is opened)."""
    import serial

    try:
        port = serial.serial_for_url(url, do_not_open=True)
        if "://" in url and hasattr(port, "from_url"):
            port.from_url(url)  # URL handlers only parse host/options when opening
    except (ValueError, TypeError, serial.SerialException) as exc:
        raise ValueError(
            f"pyserial cannot use port {url!r} ({exc}); use a device like /dev/ttyUSB0 or COM3, "
            "or a URL like socket://host:port, rfc2217://host:port, loop://"
        ) from None


class QueueSection(Section):
    """[queue]: calling rules. Numbers restart at 1 every day at the hall's local midnight."""

    # first: priority tickets (优先, elderly/disabled) before all others of the window;
    # ratio: at most `priority_ratio` priority calls in a row, then one regular ticket if any;
    # off: priority tickets are marked but wait in turn.
    priority_rule: Literal["first", "ratio", "off"] = "first"
    priority_ratio: int = Field(3, ge=1, le=50)
    # A skipped (过号) resident who comes back: to the front of the queue, or after N others.
    skip_return: Literal["front", "after"] = "after"
    skip_return_after: int = Field(3, ge=0, le=100)
    # A transferred ticket goes to the front of its new queue, or keeps its issue-time place.
    transfer_to: Literal["front", "issue_order"] = "front"
    # "Call next" while a ticket is still at the window finishes that ticket first.
    finish_on_next: bool = True
    max_number: int = Field(999, ge=9, le=9999)  # per business per day
    recent_services: int = Field(10, ge=1, le=200)  # finished tickets averaged for wait estimates


class PrinterSection(Section):
    """[printer]: the kiosk's ESC/POS thermal ticket printer."""

    # none: no printer (tickets only on screen); dummy: bytes kept in memory (tests)
    connection: Literal["none", "serial", "usb", "network", "file", "dummy"] = "none"
    # serial: /dev/ttyUSB0 or COM3; usb: "04b8:0202" (vendor:product); network: host or host:port;
    # file: a device or file path such as /dev/usb/lp0
    device: str = ""
    baudrate: int = Field(19200, ge=1200, le=921600)
    header: str = Field("", max_length=40)  # default: the hall's name
    subheader: str = Field("", max_length=60)  # default: district + street office
    footer: str = Field("请留意叫号，过号请到窗口咨询", max_length=80)
    qr: bool = True
    # text: GB18030 text in the printer's own Chinese font (most printers sold in China, few bytes);
    # raster: the whole ticket as one bitmap (printers without a Chinese font; slow on 9600 baud)
    render: Literal["text", "raster"] = "text"
    paper_dots: int = Field(576, ge=256, le=832)  # 576 = 80 mm paper, 384 = 58 mm
    timeout_s: float = Field(3.0, gt=0, le=60)


class VoiceSection(Section):
    """[voice]: the spoken call "请 A023 号 到 3 号窗口办理" from bundled clips, offline."""

    enabled: bool = True
    chime_only: bool = False
    sounds_dir: Path | None = None  # default: assets/sounds
    player: str = ""  # e.g. "aplay -q"; default: aplay, paplay or pw-play, whichever exists
    repeat: int = Field(1, ge=1, le=3)  # times each call is spoken


class LanSection(Section):
    """[lan]: the hall LAN API that counter consoles on other PCs use."""

    enabled: bool = True
    host: str = "127.0.0.1"  # 0.0.0.0 to accept the counter PCs on the hall LAN
    port: int = Field(8731, ge=0, le=65535)  # 0: any free port
    token: str = Field("", max_length=200)  # empty: a random token kept in the data directory
    session_idle_hours: float = Field(4.0, gt=0, le=24)  # a staff sign-in ends after this long unused (and at midnight)


class BackupSection(Section):
    """[backup]: automatic copies of the hall cache in DATA_DIR/backups (and at every clean shutdown)."""

    interval_minutes: int = Field(60, ge=0, le=1440)  # 0: only at shutdown and by `yizhan db backup`
    keep: int = Field(24, ge=1, le=1000)  # the newest N are kept


class CounterSection(Section):
    """[counter]: counter consoles on the hall PC itself. Clerks normally run `yizhan counter`
    on their own PCs; the hall PC opens consoles only for the windows listed here, on the given
    screen (0 = the first), and never over the kiosk."""

    consoles: list[int] = Field(default_factory=list)  # window numbers, e.g. [1, 2]; empty: none
    screen: int = Field(1, ge=0, le=8)  # the screen they open on; the kiosk's if there is no such screen


class HallConfig(Section):
    hall: HallSection = HallSection()
    kiosk: KioskSection = KioskSection()
    office: OfficeSection = OfficeSection()
    board: HallBoardConfig = HallBoardConfig()
    queue: QueueSection = QueueSection()
    printer: PrinterSection = PrinterSection()
    voice: VoiceSection = VoiceSection()
    lan: LanSection = LanSection()
    backup: BackupSection = BackupSection()
    counter: CounterSection = CounterSection()

    def data_dir(self) -> Path:
        return self.hall.data_dir or Path(platformdirs.user_data_dir("yizhan", appauthor=False))

    def cache_path(self) -> Path:
        return self.data_dir() / "hall.sqlite3"

    def ui_font(self) -> Path:
        return self.kiosk.ui_font or UI_FONT


def load_config(path: Path | None, model: type[BaseModel] = HallConfig) -> Any:
    """Read and validate a TOML config (the hall's by default); `None` gives the built-in defaults."""
    return _load_config(path, model)
