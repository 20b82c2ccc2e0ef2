"""Two consoles racing: separate connections (as separate PCs/processes would have) pressing
"call next" and kiosks issuing at the same instant never share or skip a number."""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections import Counter

from sqlalchemy import select

from sync.cache.db import open_cache
from sync.cache.models import Ticket, TicketEvent
from tests.kiosk.services.queue_world import make_queue, seed_hall


def _race(workers):
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(fn):
        try:
            barrier.wait()
            fn()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_two_consoles_never_get_the_same_ticket(tmp_path):
    path = tmp_path / "hall.sqlite3"
    first = open_cache(path)
    seed_hall(first)
    second = open_cache(path)
    q1, _ = make_queue(first)
    q2, _ = make_queue(second)
    for _ in range(40):
        q1.issue_ticket("civil")  # windows 2 and 3 both serve civil
    got = {2: [], 3: []}

    def console(q, window):
        def loop():
            while (t := q.call_next(window)) is not None:
                got[window].append(t.label)
        return loop

    _race([console(q1, 2), console(q2, 3)])
    called = got[2] + got[3]
    assert len(called) == 40 and len(set(called)) == 40
    with first.sessions() as s:
        per_ticket = Counter(s.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "called")))
        states = Counter(s.scalars(select(Ticket.state)))
    assert set(per_ticket.values()) == {1}
    assert states == {"served": 40}  # the last, empty "call next" finished each window's ticket
    first.close()
    second.close()


def test_kiosks_issuing_at_once_get_unique_gap_free_numbers(tmp_path):
    path = tmp_path / "hall.sqlite3"
    caches = [open_cache(path) for _ in range(3)]
    seed_hall(caches[0])
    queues = [make_queue(c)[0] for c in caches]
    labels = []

    def kiosk(q):
        def loop():
            for _ in range(20):
                labels.append(q.issue_ticket("labor").label)
        return loop

    _race([kiosk(q) for q in queues])
    assert sorted(labels) == [f"A{n:03d}" for n in range(1, 61)]
    for c in caches:
        c.close()


def _process_console(path: str, window: int, out) -> None:
    cache = open_cache(path)
    q, _ = make_queue(cache)
    labels = []
    while (t := q.call_next(window)) is not None:
        labels.append(t.label)
    out.put(labels)
    cache.close()


def test_two_processes_calling(tmp_path):
    path = tmp_path / "hall.sqlite3"
    cache = open_cache(path)
    seed_hall(cache)
    q, _ = make_queue(cache)
    for _ in range(30):
        q.issue_ticket("civil")
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_process_console, args=(str(path), w, out)) for w in (2, 3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    called = results[0] + results[1]
    assert sorted(called) == [f"B{n:03d}" for n in range(1, 31)]
    cache.close()
