"""Public addresses on the street-office server that the kiosk puts into QR codes.

A resident's phone opens them, so the base is `office.public_url` when set (the address
phones can reach), else `office.url`, else the embedded office on loopback.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from kiosk.hall import Hall

EMBEDDED_OFFICE_URL = "http://127.0.0.1:8700"  # sync/office/config.py's default host and port


def office_public_url(config_or_base: Any, embedded_url: str | None = None) -> str:
    """The base URL (no trailing slash) from a HallConfig, or a base string given directly."""
    if isinstance(config_or_base, str):
        base = config_or_base
    else:
        office = config_or_base.office
        base = office.public_url or office.url or embedded_url or EMBEDDED_OFFICE_URL
    if not base:
        raise ValueError("no office address: set office.public_url or office.url in the hall config")
    return base.rstrip("/")


def guide_url(config_or_base: Any, guide_uid: str, embedded_url: str | None = None) -> str:
    """`{office}/g/{uid}`: the guide's page with its materials checklist."""
    return f"{office_public_url(config_or_base, embedded_url)}/g/{quote(guide_uid, safe='')}"


def ticket_url(config_or_base: Any, ticket_uid: str, embedded_url: str | None = None) -> str:
    """`{office}/t/{uid}`: the ticket's live status page."""
    return f"{office_public_url(config_or_base, embedded_url)}/t/{quote(ticket_uid, safe='')}"


def hall_public_url(hall: Hall) -> str:
    """The base for a running hall: the config, else the office its sync worker really reached
    (the embedded office may have moved to a free port)."""
    embedded = hall.sync.public_url if hall.sync is not None else None
    return office_public_url(hall.config, embedded)


LOOPBACK_WARNING = ("二维码指向本机地址 {base}，居民的手机打不开：请在配置的 [office] 中设置 "
                    "public_url（手机能访问的街道办地址）")


def phones_cannot_open(base: str) -> bool:
    """True when QR codes on this base point at the hall PC itself (localhost, 127.x, ::1),
    which no resident's phone can reach."""
    host = (urlsplit(base).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_warning(base: str) -> str:
    """The staff's warning for such a base, or ""."""
    return LOOPBACK_WARNING.format(base=base) if phones_cannot_open(base) else ""
