"""Screens that only read never take the cache's write lock: while a counter action holds it
(another connection in BEGIN IMMEDIATE, a row written and not committed), the kiosk's catalogue,
its guide and notice pages, the LED board and the console's views still answer, from the last
committed state, instead of waiting for the lock (and so never make a counter action wait)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from kiosk.services.auth import AuthService
from kiosk.services.board_feed import notice_texts
from kiosk.services.catalog import Catalog
from kiosk.services.events import EventBus
from kiosk.services.queue import QueueService
from sync.cache.models import Notice
from tests.kiosk.services.catalog_world import GUIDES, seed_catalog
from tests.sync.writelock import write_lock_held

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def hall(cache):
    seed_catalog(cache, today=datetime.now(TZ).date())
    queue = QueueService(cache, EventBus(), tz=TZ)
    queue.issue_ticket("labor")
    queue.issue_ticket("labor")
    queue.call_next(1)  # (the day's first action also closed earlier days: a write, done before)
    return Catalog(cache), queue, AuthService(cache)


def test_kiosk_board_and_console_read_while_a_counter_action_holds_the_write_lock(cache, hall):
    catalog, queue, auth = hall
    today = datetime.now(TZ).date()
    uid = catalog.guides_in("civil")[0].uid
    with write_lock_held(cache) as other:
        other.execute("UPDATE notice SET title = 'uncommitted'")
        catalog.reload()  # e.g. after a "content.changed" from the editor or the sync
        assert len(catalog) == len(GUIDES) + 1
        assert catalog.guide(uid).name == "最低生活保障申请"
        assert [n.title for n in catalog.notices(today)] == ["第四季度低保对象公示"]  # committed only
        assert notice_texts(cache, today) == ["【公示】第四季度低保对象公示"]
        board = queue.board_view()
        assert [c.ticket_label for c in board.recent] == ["A001"]
        assert board.waiting["劳动保障"] == 1
        state = queue.window_state(1)
        assert state.current.label == "A001" and state.waiting_total == 1
        assert {b.code: b.waiting for b in queue.businesses()}["labor"] == 1
        assert [w.number for w in queue.windows()] == [1, 2, 3]
        assert auth.staff_names("counter") == ["李办事员", "王站长"]


def test_a_write_still_waits_for_the_lock(cache, hall):
    """The check above can fail: anything that begins a write transaction meets the held lock."""
    _, queue, _ = hall
    locked = (OperationalError, sqlite3.OperationalError)
    with write_lock_held(cache), pytest.raises(locked, match="locked"):
        with cache.transaction() as s:
            s.scalar(select(Notice.id))  # a read, but in a BEGIN IMMEDIATE transaction
    with write_lock_held(cache), pytest.raises(locked, match="locked"):
        queue.call_next(1)
