"""The hall LAN API's messages, one definition for both ends: the hall's routes
(kiosk/lan/api.py, the rating pad's kiosk/lan/rating_api.py) declare them as their answers, and
the clients (kiosk/lan/client.py, kiosk/lan/rating_client.py) read every answer through them, so a field renamed at one end fails the tests of both.

The bodies are the queue's own dataclasses (TicketView, WindowState, ...): pydantic reads stdlib
dataclasses, ISO text back into datetimes and dates, so the console gets the same objects in
process and over the LAN. An error is {"error": "<Chinese message>"} with its HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from kiosk.services.queue_views import TicketView
from kiosk.services.ratings import RatingDone, RatingPrompt

T = TypeVar("T")


@dataclass(frozen=True)
class Staff:
    """A signed-in clerk (the answer to POST /login)."""

    staff_id: int
    name: str
    role: str
    session: str = ""  # the LAN API's session key (remote only)


@dataclass(frozen=True)
class HallStatus:
    """The status line of a console: office sync, LED board link, ticket printer."""

    sync_text: str
    sync_ok: bool
    board_text: str
    board_ok: bool
    printer_text: str
    printer_alarm: bool
    disk_text: str = ""  # a low-disk warning (kiosk/services/disk.py); "" when there is room
    voice_text: str = ""  # 语音: "" from a hall that does not report it
    voice_ok: bool = True
    qr_warning: str = ""  # QR codes point at the hall PC itself: residents' phones cannot open them


@dataclass(frozen=True)
class ReprintResult:
    printed: bool
    message: str


class Ping(BaseModel):
    hall: str
    time: str  # the hall PC's clock, ISO text
    timezone: str


class TicketReply(BaseModel):
    """A counter action's answer: the ticket it acted on (None: nobody waiting, or pause/resume)."""

    ticket: TicketView | None


class Settled(BaseModel):
    """Was a request done? `status` and `body` are its first answer (only when done)."""

    done: bool
    status: int | None = None
    body: Any = None


class PromptReply(BaseModel):
    """The rating pad's question: the ticket just finished at its window (None: nothing to rate)."""

    prompt: RatingPrompt | None


class RatedReply(BaseModel):
    rating: RatingDone


class Refusal(BaseModel):
    error: str


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def read(kind: type[T] | Any, data: Any) -> T:
    """An answer's JSON as `kind` (a model, a dataclass or list[...] of one); raises
    pydantic.ValidationError, naming the field, on an answer that does not fit."""
    return _adapter(kind).validate_python(data)

