"""Value checks shared by the hall's and the office's configs (sync/ must not import kiosk/)."""

from __future__ import annotations

import re


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
