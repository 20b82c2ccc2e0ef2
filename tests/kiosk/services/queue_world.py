"""A small hall for queue tests: the sample's businesses and windows, a movable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.config import QueueSection
from kiosk.services.events import Event, EventBus
from kiosk.services.queue import QueueService
from sync.cache.models import BusinessType, Window, WindowService

TZ = ZoneInfo("Asia/Shanghai")

BUSINESSES = [("labor", "劳动保障业务", "A", 12), ("civil", "民政事务业务", "B", 15),
              ("health", "计生卫生业务", "C", 8), ("disability", "残疾人服务业务", "D", 15)]
WINDOWS = [(1, "劳动保障窗口", ["labor"]), (2, "民政事务窗口", ["civil", "disability"]),
           (3, "计生卫生窗口", ["health", "civil"]), (4, "残疾人服务窗口", ["disability"])]


def seed_hall(cache) -> None:
    with cache.transaction() as s:
        ids = {}
        for code, name, prefix, minutes in BUSINESSES:
            b = BusinessType(code=code, name=name, prefix=prefix, avg_service_minutes=minutes)
            s.add(b)
            s.flush()
            ids[code] = b.id
        for number, name, codes in WINDOWS:
            w = Window(number=number, name=name)
            s.add(w)
            s.flush()
            for rank, code in enumerate(codes):
                s.add(WindowService(window_id=w.id, business_type_id=ids[code], priority=rank))


class Clock:
    """A hand-moved clock: tests step it instead of sleeping."""

    def __init__(self, start: datetime | None = None):
        self.t = start or datetime(2026, 11, 25, 9, 0, tzinfo=TZ).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


class Recorder:
    def __init__(self, bus: EventBus):
        self.seen: list[Event] = []
        bus.subscribe(Event, self.seen.append)

    def topics(self) -> list[str]:
        return [e.topic for e in self.seen]


def make_queue(cache, clock=None, **rules) -> tuple[QueueService, EventBus]:
    bus = EventBus()
    q = QueueService(cache, bus, tz=TZ, config=QueueSection(**rules), clock=clock or Clock())
    return q, bus


def add_clerks(cache) -> None:
    """Two counter clerks and an editor (PIN format per kiosk.services.auth)."""
    from kiosk.services.auth import AuthService

    auth = AuthService(cache)
    auth.add_staff("王芳", "clerk", "2468")
    auth.add_staff("李强", "clerk", "1357")
    auth.add_staff("陈静", "editor", "8642")
