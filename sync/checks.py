"""Value checks shared by the hall's and the office's configs (sync/ must not import kiosk/)."""

from __future__ import annotations

import re
import unicodedata

# Characters a terminal may act on instead of showing: C0/C1 controls (ESC starts a sequence that
# can retitle the window or clear the screen), format characters (bidi overrides reorder a line),
# line/paragraph separators.
_UNSAFE = ("Cc", "Cf", "Zl", "Zp")
NAME_MAX = 64


def check_http_url(value: str, *, allow_empty: bool = True) -> str:
    """An http(s) address without a trailing slash; empty is allowed unless said otherwise."""
    if not value and allow_empty:
        return value
    if not re.match(r"^https?://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)(:\d{1,5})?(/\S*)?$", value):
        raise ValueError(f"must be an http:// or https:// address, got {value!r}")
    return value.rstrip("/")


def check_time_zone(value: str) -> str:
    """An IANA time zone name the machine knows (e.g. Asia/Shanghai)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
    return value


def terminal_safe(text: object) -> str:
    """`text` with every control or format character shown as an escape (\\x1b, \\u202e)."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in _UNSAFE:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def check_name(value: str, what: str = "name", max_len: int = NAME_MAX) -> str:
    """A person's or hall's name: not empty, no control characters, at most `max_len` characters."""
    name = value.strip()
    if not name:
        raise ValueError(f"{what} must not be empty")
    bad = [ch for ch in name if unicodedata.category(ch) in _UNSAFE]
    if bad:
        raise ValueError(f"{what} must not contain control characters (found {terminal_safe(''.join(bad[:5]))})")
    if len(name) > max_len:
        raise ValueError(f"{what} is {len(name)} characters long; at most {max_len}")
    return name
