"""The kiosk's queue-ticket printer: raw ESC/POS to a thermal printer, never a print dialog.

python-escpos provides the connections (serial, USB, network, file, in-memory dummy); the
ticket itself is one `TicketLayout` (header, big number, business, people ahead, time, QR to
the ticket's status page) turned into ESC/POS bytes either as GB18030 text in the printer's
own Chinese font (render = "text") or as one bitmap (render = "raster"). The same layout is
drawn by `kiosk.services.escpos_preview`, which decodes the printed bytes back into a PNG.

Printing never decides whether a ticket exists: the queue commits the ticket first, then the
kiosk asks for a print. A missing, offline or empty printer gives a `PrintResult` with a
clear message for the screen and a status for the counter consoles' alarm; it never raises.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from kiosk.config import HallConfig, PrinterSection
from kiosk.services.events import PrinterStatusChanged

log = logging.getLogger(__name__)

ESC, GS, FS, DLE, EOT, LF = b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x04", b"\n"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"  # GB2312/GB18030 double-byte mode on Chinese-font printers
CUT = GS + b"VB\x00"  # feed to the cutter and cut (partial)
ALIGN = {"left": 0, "center": 1, "right": 2}

State = Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "missing", "error", "unknown", "disabled"]

MESSAGES: dict[str, str] = {
    "ok": "打印机正常",
    "paper_low": "打印机纸将用完，请及时换纸",
    "paper_out": "打印机缺纸，请换纸",
    "cover_open": "打印机盖未关好",
    "offline": "打印机离线",
    "missing": "找不到打印机，请检查连接",
    "error": "打印机故障",
    "unknown": "打印机状态未知（此连接不回报状态）",
    "disabled": "未配置打印机",
}
ALARM = {"paper_low", "paper_out", "cover_open", "offline", "missing", "error"}


@dataclass(frozen=True)
class PrinterStatus:
    state: State
    message: str
    at: datetime

    @property
    def alarm(self) -> bool:
        """True when staff should do something (shown in red on the counter console)."""
        return self.state in ALARM

    @property
    def can_print(self) -> bool:
        return self.state in ("ok", "paper_low", "unknown")


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    message: str  # for the kiosk screen: what to do when it did not print
    status: PrinterStatus


# -- layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str
    size: int = 1  # character magnification 1..8 (GS !)
    align: str = "center"
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class QR:
    url: str
    module: int = 6


@dataclass
class TicketLayout:
    items: list[Text | Rule | QR] = field(default_factory=list)
    paper_dots: int = 576


def ticket_layout(ticket: Any, *, config: HallConfig, url: str | None, tz: ZoneInfo | None = None,
                  reprint: bool = False) -> TicketLayout:
    """What a queue ticket says, in order (the same for text, raster and the PNG preview)."""
    p = config.printer
    tz = tz or ZoneInfo(config.hall.timezone)
    header = p.header or config.hall.name
    sub = p.subheader or f"{config.hall.district} {config.hall.street_office}".strip()
    issued = ticket.issued_at.astimezone(tz)
    items: list[Text | Rule | QR] = [Text(header, size=2, bold=True)]
    if sub:
        items.append(Text(sub))
    items += [Rule(), Text(ticket.business_name, size=2), Text(ticket.label, size=5, bold=True)]
    if ticket.priority:
        items.append(Text("优先", size=2, bold=True))
    if ticket.people_ahead == 0:
        items.append(Text("前面没有人等候，请留意叫号"))
    else:
        line = f"前面还有 {ticket.people_ahead} 人等候"
        if ticket.estimated_wait_minutes:
            line += f"，预计约 {ticket.estimated_wait_minutes} 分钟"
        items.append(Text(line))
    items.append(Text(f"取号时间 {issued:%Y-%m-%d %H:%M}"))
    if reprint:
        items.append(Text("（补打）"))
    if url and p.qr:
        items += [QR(url), Text("手机扫码查看叫号进度")]
    if p.footer:
        items += [Rule(), Text(p.footer)]
    return TicketLayout(items, paper_dots=p.paper_dots)


def text_bytes(layout: TicketLayout) -> bytes:
    """ESC/POS for a printer with a Chinese font: GB18030 text, GS ! sizes, native QR."""
    out = bytearray(INIT + CHINESE_ON)
    columns = layout.paper_dots // 12  # 12-dot-wide font A
    for item in layout.items:
        if isinstance(item, Text):
            n = max(1, min(8, item.size))
            out += ESC + b"a" + bytes([ALIGN[item.align]])
            out += ESC + b"E" + bytes([1 if item.bold else 0])
            out += GS + b"!" + bytes([((n - 1) << 4) | (n - 1)])
            out += item.text.encode("gb18030") + LF
        elif isinstance(item, Rule):
            out += ESC + b"a\x00" + ESC + b"E\x00" + GS + b"!\x00" + item.char.encode() * columns + LF
        elif isinstance(item, QR):
            out += ESC + b"a\x01" + qr_bytes(item.url, item.module)
    out += ESC + b"a\x00" + GS + b"!\x00" + ESC + b"d\x03" + CUT
    return bytes(out)


def qr_bytes(url: str, module: int = 6) -> bytes:
    """Native QR (GS ( k): model 2, module size, error level M, store, print."""
    data = url.encode("ascii")
    store = len(data) + 3
    return (
        GS + b"(k\x04\x001A2\x00"
        + GS + b"(k\x03\x001C" + bytes([module])
        + GS + b"(k\x03\x001E1"
        + GS + b"(k" + bytes([store & 0xFF, store >> 8]) + b"1P0" + data
        + GS + b"(k\x03\x001Q0"
        + LF
    )


def raster_bytes(layout: TicketLayout) -> bytes:
    """ESC/POS for any printer: the whole ticket as GS v 0 raster bitmaps."""
    from PIL import Image

    from kiosk.services.escpos_preview import draw_layout

    image = draw_layout(layout).convert("1", dither=Image.Dither.NONE)  # crisp dots, no dithering
    out = bytearray(INIT)
    out += ESC + b"a\x00"
    width_bytes = (image.width + 7) // 8
    # Bands of at most 256 rows: printers have small buffers.
    for top in range(0, image.height, 256):
        band = image.crop((0, top, image.width, min(image.height, top + 256)))
        # PIL "1": 0 = black; ESC/POS raster: 1 = burn a dot.
        raw = bytes(b ^ 0xFF for b in band.tobytes())
        out += GS + b"v0\x00" + bytes([width_bytes & 0xFF, width_bytes >> 8, band.height & 0xFF, band.height >> 8])
        out += raw
    out += ESC + b"d\x03" + CUT
    return bytes(out)


def decode_status(offline_cause: int | None, paper: int | None) -> State:
    """DLE EOT 2 (offline cause) and DLE EOT 4 (paper sensor) answer bytes -> one state."""
    if offline_cause is None and paper is None:
        return "unknown"
    if offline_cause is not None:
        if offline_cause & 0x04:
            return "cover_open"
        if offline_cause & 0x20:
            return "paper_out"
        if offline_cause & 0x40:
            return "error"
    if paper is not None:
        if paper & 0x60:
            return "paper_out"
        if paper & 0x0C:
            return "paper_low"
    return "ok"


# -- the printer ---------------------------------------------------------------------------


class TicketPrinter:
    """One configured ticket printer; thread-safe (the kiosk prints, consoles ask for status)."""

    def __init__(self, config: HallConfig, *, events: Any = None, url_for: Any = None,
                 tz: ZoneInfo | None = None):
        self.config = config
        self.section: PrinterSection = config.printer
        self.events = events
        self.tz = tz or ZoneInfo(config.hall.timezone)
        self._url_for = url_for  # ticket uid -> status page URL
        self._lock = threading.Lock()
        self._dummy: Any = None
        self.last_bytes = b""
        state: State = "disabled" if self.section.connection == "none" else "unknown"
        self._status = PrinterStatus(state, MESSAGES[state], datetime.now(UTC))

    # the connection ----------------------------------------------------------------------

    def _open(self) -> Any:
        """A python-escpos printer for the configured connection (raises when unreachable)."""
        from escpos import printer as ep

        s = self.section
        if s.connection == "dummy":
            if self._dummy is None:
                self._dummy = ep.Dummy()
            return self._dummy
        if not s.device and s.connection != "usb":
            raise ValueError(f"printer.device is empty for connection {s.connection!r}")
        if s.connection == "serial":
            dev = ep.Serial(devfile=s.device, baudrate=s.baudrate, timeout=s.timeout_s, dsrdtr=False)
        elif s.connection == "network":
            host, _, port = s.device.partition(":")
            dev = ep.Network(host=host, port=int(port or 9100), timeout=s.timeout_s)
        elif s.connection == "file":
            dev = ep.File(devfile=s.device)
        elif s.connection == "usb":
            vendor, _, product = (s.device or "").partition(":")
            dev = ep.Usb(int(vendor, 16), int(product, 16), timeout=int(s.timeout_s * 1000))
        else:
            raise ValueError(f"unknown printer connection {s.connection!r}")
        dev.open(raise_not_found=True)
        if getattr(dev, "device", None) is None:
            raise OSError(f"cannot open printer {s.device}")
        return dev

    def _close(self, dev: Any) -> None:
        if self.section.connection != "dummy":
            try:
                dev.close()
            except Exception:  # closing a dead connection must not hide the real problem
                log.debug("closing the printer failed", exc_info=True)

    def _query(self, dev: Any, n: int) -> int | None:
        """Send DLE EOT n and read the one-byte answer; None when the connection can't answer."""
        conn = self.section.connection
        if conn in ("file", "dummy"):
            return None
        dev._raw(DLE + EOT + bytes([n]))
        try:
            if conn == "serial":
                data = dev.device.read(1)
            elif conn == "network":
                data = dev.device.recv(1)
            else:
                data = bytes(dev._read() or b"")[:1]
        except Exception:
            return None
        return data[0] if data else None

    # status ------------------------------------------------------------------------------

    def status(self) -> PrinterStatus:
        """The last known status (cheap; the console polls this)."""
        return self._status

    def refresh_status(self) -> PrinterStatus:
        """Ask the printer (paper low/out, cover open) where the connection can answer."""
        if self.section.connection == "none":
            return self._set("disabled")
        with self._lock:
            try:
                dev = self._open()
            except Exception as exc:
                return self._set("missing", str(exc))
            try:
                state = decode_status(self._query(dev, 2), self._query(dev, 4))
            except Exception as exc:
                return self._set("offline", str(exc))
            finally:
                self._close(dev)
        return self._set(state)

    def _set(self, state: State, detail: str = "") -> PrinterStatus:
        old = self._status
        self._status = PrinterStatus(state, MESSAGES[state], datetime.now(UTC))
        if detail:
            log.warning("printer %s: %s", state, detail)
        if old.state != state and self.events is not None:
            self.events.publish(PrinterStatusChanged(self._status))
        return self._status

    # printing ----------------------------------------------------------------------------

    def render(self, ticket: Any, *, reprint: bool = False) -> bytes:
        url = self._url_for(ticket.uid) if self._url_for else None
        layout = ticket_layout(ticket, config=self.config, url=url, tz=self.tz, reprint=reprint)
        return raster_bytes(layout) if self.section.render == "raster" else text_bytes(layout)

    def print_ticket(self, ticket: Any, *, reprint: bool = False) -> PrintResult:
        """Print an already issued ticket; never raises, never issues anything."""
        if self.section.connection == "none":
            st = self._set("disabled")
            return PrintResult(False, f"请记下您的号码 {ticket.label}", st)
        data = self.render(ticket, reprint=reprint)
        with self._lock:
            try:
                dev = self._open()
            except Exception as exc:
                st = self._set("missing", str(exc))
                return PrintResult(False, f"{st.message}。请记下您的号码 {ticket.label}", st)
            try:
                state = decode_status(self._query(dev, 2), self._query(dev, 4))
                if state in ("paper_out", "cover_open", "error"):
                    st = self._set(state)
                    return PrintResult(False, f"{st.message}。请记下您的号码 {ticket.label}", st)
                dev._raw(data)
                if self.section.connection == "dummy":
                    self.last_bytes = bytes(dev.output)
                    dev.clear()
                else:
                    self.last_bytes = data
            except Exception as exc:
                st = self._set("offline", str(exc))
                return PrintResult(False, f"{st.message}。请记下您的号码 {ticket.label}", st)
            finally:
                self._close(dev)
        st = self._set(state)
        log.info("printed ticket %s%s", ticket.label, " (reprint)" if reprint else "")
        return PrintResult(True, "请取走您的号票" if st.state != "paper_low" else "请取走您的号票（纸将用完）", st)

    def reprint(self, queue: Any, label_or_uid: str) -> PrintResult:
        """Staff reprint a ticket (the number is not issued again)."""
        return self.print_ticket(queue.issued_ticket(label_or_uid), reprint=True)


def issue_and_print(queue: Any, printer: TicketPrinter | None, business_code: str, *,
                    priority: bool = False) -> tuple[Any, PrintResult | None]:
    """The kiosk's "take a ticket": commit the ticket, then try to print it.

    The ticket exists (and is shown on screen) whatever the printer does; printing is tried
    exactly once here; staff can reprint.
    """
    ticket = queue.issue_ticket(business_code, priority=priority)
    return ticket, (printer.print_ticket(ticket) if printer is not None else None)
