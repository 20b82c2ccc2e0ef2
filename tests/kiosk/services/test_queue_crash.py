"""CI variant of tests/bench/queue_crash.py: 60 SIGKILLs while issuing and calling (a few seconds)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from sync.cache.db import open_cache
from sync.cache.models import Outbox, Ticket, TicketEvent
from tests.bench import queue_crash


def test_sixty_kills_lose_and_double_nothing():
    result = queue_crash.run(60, seed_value=3)
    assert result["kills"] == 60
    assert result["shown"] > 20 and result["called"] > 10  # the workers really got work done
    assert (result["lost"], result["duplicated"], result["gaps"], result["inconsistent"]) == (0, 0, 0, 0)


def test_the_checker_sees_damage(tmp_path):
    """The crash check must be able to fail: damage a cache by hand and look."""
    path = tmp_path / "hall.sqlite3"
    queue_crash.seed(path)
    cache = open_cache(path)
    from kiosk.services.events import EventBus
    from kiosk.services.queue import QueueService
    from tests.kiosk.services.queue_world import TZ

    q = QueueService(cache, EventBus(), tz=TZ)
    shown = {q.issue_ticket("labor").uid for _ in range(4)}
    called = {q.call_next(1).uid}
    assert queue_crash.check(cache, shown, called)["lost"] == 0
    with cache.transaction() as s:
        s.execute(update(Ticket).where(Ticket.label == "A001").values(state="waiting"))  # two states
        s.execute(delete(Outbox).where(Outbox.id == 1))
    with cache.transaction() as s:
        a002 = s.scalar(select(Ticket.id).where(Ticket.label == "A002"))
        s.execute(delete(TicketEvent).where(TicketEvent.ticket_id == a002))
        s.execute(delete(Ticket).where(Ticket.id == a002))  # a gap and a loss
    result = queue_crash.check(cache, shown, called)
    assert result["inconsistent"] == 2  # A001's state, and an event without its outbox row
    assert result["lost"] >= 1 and result["gaps"] == 1
    cache.close()
