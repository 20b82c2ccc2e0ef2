"""What the queue hands out: a ticket as the kiosk, consoles, the board and the voice see it.

Plain frozen values with no database behind them, so a screen, the LAN API's schema or an event
on the bus can hold one without reaching back into the cache. Made by kiosk/services/queue.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class IssuedTicket:
    uid: str
    label: str
    business_code: str
    business_name: str
    priority: bool
    people_ahead: int
    estimated_wait_minutes: int | None
    issued_at: datetime  # aware UTC


@dataclass(frozen=True)
class TicketView:
    """A ticket as consoles, the board and the voice see it."""

    uid: str
    label: str
    business_code: str
    business_name: str
    priority: bool
    state: str
    window_number: int | None
    issued_at: datetime
    called_at: datetime | None
    finished_at: datetime | None
    call_count: int
    service_day: date


@dataclass(frozen=True)
class BusinessInfo:
    code: str
    name: str
    name_en: str
    prefix: str
    waiting: int
    open_windows: int


@dataclass(frozen=True)
class WindowInfo:
    number: int
    name: str
    paused: bool
    business_codes: list[str]


@dataclass
class WindowState:
    """Everything a counter console shows for its window."""

    number: int
    name: str
    paused: bool
    businesses: list[str]  # business names in the window's calling order
    current: TicketView | None
    waiting: list[TicketView]  # in calling order, at most `limit`
    waiting_total: int
    skipped: list[TicketView]  # today's skipped tickets of the window's businesses
    held: list[TicketView]  # held (挂起) at this window
    served_today: int
    skipped_today: int
    avg_service_minutes: float | None  # this window, today
    extra: dict[str, Any] = field(default_factory=dict)
