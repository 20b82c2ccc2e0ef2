"""What happens in the hall, as classes, and the bus that announces it: the queue announces a
call once, the board, the voice and the screens each listen. A listener subscribes to a class
and gets that class and its subclasses (TicketEvent: every ticket action; Event: everything).

Handlers run on the publishing thread; Qt code hops to the UI thread itself (see kiosk/ui), so
this module stays Qt-free. The sync worker (sync/client.py) cannot import the hall and
announces with a topic and fields, publish("sync.done", pushed=1, pulled=0): the bus turns
that into its class here (TOPICS), so every listener sees classes only.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from kiosk.services.printer import PrinterStatus
    from kiosk.services.queue_views import IssuedTicket, TicketView

log = logging.getLogger(__name__)

E = TypeVar("E", bound="Event")


@dataclass(frozen=True)
class Event:
    topic: ClassVar[str] = ""  # the name in logs (and in the sync worker's announcements)


# -- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketEvent(Event):
    """A ticket changed: the board, the kiosk's waiting counts and the sync worker follow."""

    ticket: TicketView | IssuedTicket
    window_number: int | None


@dataclass(frozen=True)
class TicketIssued(TicketEvent):
    topic = "ticket.issued"
    ticket: IssuedTicket


@dataclass(frozen=True)
class TicketCalled(TicketEvent):
    """Called to a window (also a held ticket brought back): the board and the voice call it."""

    topic = "ticket.called"
    ticket: TicketView


@dataclass(frozen=True)
class TicketRecalled(TicketEvent):
    topic = "ticket.recalled"
    ticket: TicketView


@dataclass(frozen=True)
class TicketSkipped(TicketEvent):
    topic = "ticket.skipped"
    ticket: TicketView


@dataclass(frozen=True)
class TicketReturned(TicketEvent):
    """A skipped ticket back in the queue."""

    topic = "ticket.returned"
    ticket: TicketView


@dataclass(frozen=True)
class TicketTransferred(TicketEvent):
    topic = "ticket.transferred"
    ticket: TicketView
    to_window: int | None = None
    business_code: str = ""


@dataclass(frozen=True)
class TicketHeld(TicketEvent):
    topic = "ticket.held"
    ticket: TicketView


@dataclass(frozen=True)
class TicketCancelled(TicketEvent):
    topic = "ticket.cancelled"
    ticket: TicketView


@dataclass(frozen=True)
class TicketFinished(TicketEvent):
    topic = "ticket.finished"
    ticket: TicketView


@dataclass(frozen=True)
class TicketExpired(TicketEvent):
    """Left open on an earlier day, closed at the first action or view of a new one."""

    topic = "ticket.expired"
    ticket: TicketView


@dataclass(frozen=True)
class WindowEvent(Event):
    window_number: int


@dataclass(frozen=True)
class WindowPaused(WindowEvent):
    topic = "window.paused"


@dataclass(frozen=True)
class WindowResumed(WindowEvent):
    topic = "window.resumed"


# -- devices, ratings -------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinterStatusChanged(Event):
    topic = "printer.status"
    status: PrinterStatus


@dataclass(frozen=True)
class RatingAdded(Event):
    topic = "rating.added"
    ticket_uid: str
    level: str


# -- content and sync ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentEvent(Event):
    kind: str
    uid: str


@dataclass(frozen=True)
class ContentChanged(ContentEvent):
    """A record changed: published in the editor here, or applied from the office (source)."""

    topic = "content.changed"
    source: str = ""  # "office": pulled by the sync worker (the catalogue reloads after its round)


@dataclass(frozen=True)
class ContentConflict(ContentEvent):
    topic = "content.conflict"
    conflict_id: int = 0


@dataclass(frozen=True)
class ContentProposal(ContentEvent):
    """A shared record's edit, sent to the office for review, changed state."""

    topic = "content.proposal"
    proposal: int = 0
    state: str = "pending"


@dataclass(frozen=True)
class SyncDone(Event):
    """A sync round ended."""

    topic = "sync.done"
    pushed: int = 0
    pulled: int = 0


@dataclass(frozen=True)
class SyncNumbers(Event):
    """Whether the office's ticket numbers could be asked (the cache note follows it)."""

    topic = "sync.numbers"
    note: str = ""


# The sync worker's announcements (the only ones made by topic).
TOPICS: dict[str, type[Event]] = {cls.topic: cls for cls in (
    ContentChanged, ContentConflict, ContentProposal, SyncDone, SyncNumbers)}

Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> None:
        """Listen to one class of event and its subclasses (Event: every event)."""
        with self._lock:
            self._handlers[kind].append(handler)

    def unsubscribe(self, kind: type[Event], handler: Handler) -> None:
        with self._lock:
            if handler in self._handlers.get(kind, []):
                self._handlers[kind].remove(handler)

    def publish(self, event: Event | str, **fields: Any) -> None:
        """Announce an event; a topic and its fields is the sync worker's form (see TOPICS)."""
        if isinstance(event, str):
            if event not in TOPICS:
                raise ValueError(f"unknown event topic {event!r} (known: {', '.join(sorted(TOPICS))})")
            event = TOPICS[event](**fields)
        with self._lock:
            handlers = [h for cls in type(event).__mro__ for h in self._handlers.get(cls, ())]
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # one broken listener must not stop the call reaching the others
                log.exception("event handler %r failed on %s", handler, event.topic)
