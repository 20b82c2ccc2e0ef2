"""The sync worker's status (the consoles' status line asks it every few seconds) only reads: it
answers while a counter action holds the cache's write lock, from the last commit, instead of
waiting for the lock and holding up the next counter action in turn."""

from __future__ import annotations

from sync.client import SyncWorker
from tests.sync.office_world import TicketMaker, record_apply
from tests.sync.writelock import write_lock_held


def test_status_answers_while_the_write_lock_is_held(start_office, make_cache):
    office = start_office("sqlite")
    token = office.add_hall("幸福", "xingfu")
    cache = make_cache()
    maker = TicketMaker(cache)
    maker.issue(events=2)
    SyncWorker(cache, office.url, token, apply_content=record_apply).sync_once()  # success kept on disk
    maker.issue(events=3)
    restarted = SyncWorker(cache, office.url, token, apply_content=record_apply)  # never started
    with write_lock_held(cache) as other:
        other.execute("DELETE FROM outbox")  # not committed: not seen
        status = restarted.status()
    assert status.waiting == 3 and status.conflicts == 0 and status.rejected == 0
    assert status.last_success is not None  # read back from the cache, not from this worker's memory
