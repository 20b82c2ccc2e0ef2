"""Halls wait for office changes instead of polling: one request held open, answered at once.

Real HTTP on loopback; PostgreSQL for the several-processes case. No timing asserts beyond
"answered well before the wait's own timeout".
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from kiosk.config import HallConfig
from kiosk.lan.client import hall_status
from sync import wire
from sync.cache.models import ContentRevision, Outbox
from sync.client import SyncWorker, wait_until
from sync.office import store, wakeups
from sync.office.routes.ratings import POLL_WAIT_S
from tests.sync.faultproxy import FaultProxy, Relay, read_request
from tests.sync.office_world import (
    PG_URL,
    TicketMaker,
    drop_pg_schema,
    free_port,
    local_events,
    office_events,
    pg_schema_db,
    record_apply,
)

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0  # the hall's wait: every answer below must come long before it


def notice(title: str) -> dict:
    return {"kind": "notice", "data": {"uid": str(uuid.uuid4()), "title": title, "body": "正文",
                                       "starts_on": "2026-11-25", "ends_on": "2026-11-30"}}


def pulled(cache, uid: str) -> bool:
    with cache.sessions() as s:
        return s.scalar(select(func.count()).select_from(ContentRevision)
                        .where(ContentRevision.record_uid == uid)) > 0


def admin_publish(url: str, admin: str, record: dict, halls="all") -> None:
    requests.post(f"{url}/api/v1/admin/publish", json={"records": [record], "halls": halls}, timeout=10,
                  headers={"Authorization": f"Bearer {admin}"}).raise_for_status()


def test_a_publish_answers_the_waiting_hall_at_once(office, make_cache):
    token = office.add_hall("幸福", "xingfu")
    cache = make_cache()
    # Polling every 10 minutes: only the held request can explain a prompt arrival.
    worker = SyncWorker(cache, office.url, token, apply_content=record_apply, interval_s=600, wait_s=WAIT_S)
    worker.start()
    try:
        assert wait_until(lambda: len(worker_waiting(office)) == 1, 10), "the hall never waited at the office"
        for i in range(3):
            rec = notice(f"通知 {i}")
            started = time.monotonic()
            admin_publish(office.url, office.admin_token, rec)
            assert wait_until(lambda rec=rec: pulled(cache, rec["data"]["uid"]), WAIT_S / 3), \
                f"publish {i} did not reach the waiting hall before a third of its wait"
            assert time.monotonic() - started < WAIT_S / 3
        st = worker.status()
        assert st.online and st.mode == "wait"
        # Three answers and a few renewals, not a poll every interval: a handful of requests.
        assert worker.requests_made < 15
    finally:
        worker.stop()


def worker_waiting(office) -> dict:
    """The office's halls with a request held open."""
    return {k: v for k, v in office.server.app.state.waiters.waiting.items() if v}


def test_a_local_commit_is_pushed_at_once(office, make_cache):
    token = office.add_hall("幸福", "xingfu")
    cache = make_cache()
    worker = SyncWorker(cache, office.url, token, apply_content=record_apply, interval_s=600, wait_s=WAIT_S)
    worker.start()
    try:
        assert wait_until(lambda: worker.status().online, 10)
        maker = TicketMaker(cache)
        for _ in range(3):
            maker.issue(events=2)
            assert wait_until(lambda: office_events(office.db) == local_events(cache), WAIT_S / 3), \
                "a committed outbox entry did not go out before the next poll"
        assert wait_until(lambda: worker.status().waiting == 0, 10)  # and the hall heard the answer
    finally:
        worker.stop()


def test_feed_pages_of_many_halls_match_one_by_one(office):
    """The batched read (one query for many waiting halls) gives each hall what pull gives it."""
    tokens = [office.add_hall(f"厅{i}", f"h{i}") for i in range(5)]
    office.publish([notice("全部")], "all")
    office.publish([notice("两个"), notice("两个b")], ["h1", "h3"])

    def compare() -> tuple[list[str], bool]:
        """Each hall's page both ways; (the differences, whether everything was readable)."""
        differ = []
        with office.db.sessions() as s:
            if office.backend == "postgres":  # one snapshot for every read below (the PostgreSQL is shared)
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            callers = [store.authenticate(s, t) for t in tokens]
            first = {c.id: store.pull(s, c, "", 1) for c in callers}
            wants = [(c.id, cur, lim) for c in callers for cur, lim in (("", 500), ("", 1), (first[c.id].cursor, 500))]
            many = store.pull_many(s, wants)
            for hall_id, cursor, limit in wants:
                one = store.pull(s, next(c for c in callers if c.id == hall_id), cursor, limit)
                got, _settled = many[(hall_id, cursor, limit)]
                if (got.changes, got.cursor, got.more) != (one.changes, one.cursor, one.more):
                    differ.append(f"hall {hall_id} after {cursor!r}: {got} != {one}")
        assert many[(callers[0].id, first[callers[0].id].cursor, 500)][0].changes == []
        return differ, len(many[(callers[1].id, first[callers[1].id].cursor, 500)][0].changes) == 2

    # The lock table is read live within the pinned snapshot: a transaction of another test
    # ending in between makes one read more careful than the other. A few tries, then it must hold.
    for _ in range(5):
        differ, readable = compare()
        if not differ and readable:
            break
        time.sleep(0.5)
    assert not differ, differ
    assert readable, "the published records never became readable"


@pytest.mark.postgres
def test_a_change_behind_a_longer_transaction_reaches_the_waiting_hall_once_readable(start_office, make_cache):
    """The late-commit-safe cursor: rows committed while an older transaction still runs are not
    readable yet; the waiting hall gets them once it ends, with no further publish."""
    from sqlalchemy import text

    office = start_office("postgres")
    token = office.add_hall("幸福", "xingfu")
    cache = make_cache()
    worker = SyncWorker(cache, office.url, token, apply_content=record_apply, interval_s=600, wait_s=WAIT_S)
    worker.start()
    try:
        assert wait_until(lambda: bool(worker_waiting(office)), 10)
        with office.db.engine.connect() as older:
            older.execute(text("SELECT pg_current_xact_id()"))  # a transaction id older than the publish
            rec = notice("晚到")
            office.publish([rec], "all")
            time.sleep(1.0)
            assert not pulled(cache, rec["data"]["uid"]), "read a row behind a running transaction"
            older.rollback()
        assert wait_until(lambda: pulled(cache, rec["data"]["uid"]), WAIT_S / 3)
    finally:
        worker.stop()


def test_the_held_pulls_short_road_answers_and_refuses_as_fastapi_does(office):
    """A waiting pull from a known token is served in front of FastAPI (sync/office/held_pulls.py):
    the same page (gzip when large), and every odd request still gets FastAPI's refusal."""
    token = office.add_hall("幸福", "xingfu")
    auth = {"Authorization": f"Bearer {token}"}
    office.publish([notice(f"通知 {i}") for i in range(12)], "all")  # a page well over 1 KB

    def get(**params) -> requests.Response:
        return requests.get(f"{office.url}/api/v1/pull", params=params, headers=auth, timeout=30)

    now = get()  # FastAPI (and the token is known from here on)
    assert now.status_code == 200 and now.headers["content-encoding"] == "gzip"
    held = get(wait_s=5, limit=500)
    assert held.status_code == 200 and held.headers["x-yizhan-waited"] == "1"
    assert held.headers["content-encoding"] == "gzip"
    assert held.json()["changes"] == now.json()["changes"] and held.json()["cursor"] == now.json()["cursor"]
    started = time.monotonic()
    empty = get(cursor=held.json()["cursor"], wait_s=0.5)
    assert empty.status_code == 200 and empty.json()["changes"] == [] and time.monotonic() - started >= 0.4
    assert empty.json()["cursor"] == held.json()["cursor"]
    for params, status in (({"wait_s": 5, "cursor": "v2.1.1"}, 400), ({"wait_s": 5, "limit": 0}, 422),
                           ({"wait_s": "soon"}, 422), ({"wait_s": 5, "limit": 5000}, 422),
                           ({"wait_s": wire.MAX_WAIT_S + 1}, 422), ({"wait_s": 5, "extra": 1}, 200)):
        r = get(**params) if status != 200 else get(wait_s=0.2, cursor=held.json()["cursor"], extra=1)
        assert r.status_code == status, (params, r.status_code, r.text)
        if status != 200:
            assert r.json()["detail"]["message"], r.text
    stranger = requests.get(f"{office.url}/api/v1/pull", params={"wait_s": 5}, timeout=30,
                            headers={"Authorization": "Bearer yzh_not-a-token"})
    assert stranger.status_code == 401


@pytest.mark.postgres
def test_a_token_kept_on_the_listeners_word_stops_at_once_when_revoked(start_office):
    """Where revocations are heard (PostgreSQL, the listener up), a known token is kept for long:
    waiting halls' renewals cost no query. Revoking it is heard, and it stops at once."""
    office = start_office("postgres")  # its token cache: 1 s where revocations are not heard
    token = office.add_hall("幸福", "xingfu")

    def pull() -> int:
        return requests.get(f"{office.url}/api/v1/pull", params={"wait_s": 0.1}, timeout=30,
                            headers={"Authorization": f"Bearer {token}"}).status_code

    assert pull() == 200
    assert wait_until(lambda: office.db.wakeups.listening, 10)
    time.sleep(1.5)  # what was looked up before the listener was up is kept 1 s only
    assert pull() == 200  # looked up with the listener up: kept on its word
    served = office.server.app.held_pulls.served
    time.sleep(1.5)
    assert pull() == 200
    assert office.server.app.held_pulls.served == served + 1, "a known token's renewal was looked up again"
    with office.db.sessions.begin() as s:
        store.revoke_hall(s, "xingfu")
    assert wait_until(lambda: pull() == 401, 10), "a revoked token kept working"


@pytest.mark.postgres
def test_only_the_offices_own_older_transactions_hold_its_feed_back():
    """Another database's (or schema's) long write transaction on the same PostgreSQL cannot
    write this feed: the office does not wait for it. Its own connections' ones it waits for."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    db = pg_schema_db(schema)
    stranger = create_engine(PG_URL)  # not one of the office's connections
    try:
        with db.sessions.begin() as s:
            _hall, token = store.add_hall(s, "幸福", "xingfu")
        with db.sessions() as s:
            me = store.authenticate(s, token)
            cursor = store.pull(s, me, "").cursor

        def publish(title: str) -> str:
            rec = notice(title)
            with db.sessions.begin() as s:
                store.publish(s, [rec], "all")
            return rec["data"]["uid"]

        def look() -> tuple[list[str], bool]:
            with db.sessions() as s:
                page, settled = store.pull_settled(s, me, cursor)
                many = store.pull_many(s, [(me.id, cursor, 500)])[(me.id, cursor, 500)]
            assert ([c.uid for c in many[0].changes], many[1]) == ([c.uid for c in page.changes], settled)
            return [c.uid for c in page.changes], settled

        with stranger.connect() as other:
            other.execute(text("SELECT pg_current_xact_id()"))  # older than the publish, still running
            uid = publish("别人的事务不挡")
            assert look() == ([uid], True), "waited for a transaction that cannot write this feed"
            other.rollback()
        with db.engine.connect() as own:
            own.execute(text("SELECT pg_current_xact_id()"))
            later = publish("自己的事务要等")
            assert look() == ([uid], False), "read a row behind the office's own running transaction"
            own.rollback()
        assert look() == ([uid, later], True)
    finally:
        stranger.dispose()
        db.close()
        drop_pg_schema(schema)


def test_offices_apart_by_search_path_hear_only_their_own_wakeups():
    """Offices (benches, tests) sharing one PostgreSQL database, set apart by the URL's
    search_path or a schema, get a channel each: one's publishes do not wake the other's halls."""
    base = f"{PG_URL}?options=-csearch_path%3D"
    channels = {wakeups.Wakeups(base + "office_a").channel, wakeups.Wakeups(base + "office_b").channel,
                wakeups.Wakeups(PG_URL).channel, wakeups.Wakeups(PG_URL, schema="office_c").channel}
    assert len(channels) == 4
    assert wakeups.Wakeups(base + "office_a").channel == wakeups.Wakeups(base + "office_a").channel
    assert len(wakeups.Wakeups(base + "x" * 80).channel) <= 63


def test_wakeup_payloads():
    assert wakeups.decode(wakeups.encode("feed", {"3", "12"})) == ("feed", frozenset({"3", "12"}))
    assert wakeups.decode(wakeups.encode("feed", None)) == ("feed", None)
    many = {str(i) for i in range(5000)}  # too long for one notification: everyone looks again
    assert wakeups.decode(wakeups.encode("feed", many)) == ("feed", None)


# --- several server processes on one PostgreSQL ------------------------------------------------

SERVE = """
import sys
from sync.office.db import OfficeDB
from sync.office.api import create_app
from sync.office.server import office_server
db = OfficeDB(sys.argv[1], schema=sys.argv[2])
office_server(create_app(db), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning",
              timeout_graceful_shutdown=3).run()
"""


def start_process(schema: str, port: int = 0) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, PG_URL, schema, str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    url = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: _listening(port) or proc.poll() is not None, 30) or proc.poll() is not None:
        raise RuntimeError("office process did not start")
    return proc, url


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.mark.postgres
def test_a_publish_on_one_process_wakes_a_hall_waiting_on_another(make_cache):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    db = pg_schema_db(schema)
    procs = []
    try:
        with db.sessions.begin() as s:
            _hall, token = store.add_hall(s, "幸福", "xingfu")
            _other, other_token = store.add_hall(s, "和平", "heping")
            admin = store.add_admin(s, "街道办")
        (p1, url1), (p2, url2) = start_process(schema), start_process(schema)
        procs = [p1, p2]
        cache = make_cache()
        worker = SyncWorker(cache, url1, token, apply_content=record_apply, interval_s=600, wait_s=WAIT_S)
        other_cache = make_cache("other")
        other = SyncWorker(other_cache, url1, other_token, apply_content=record_apply, interval_s=600,
                           wait_s=WAIT_S)
        worker.start()
        other.start()
        try:
            time.sleep(1.0)  # both halls' requests are held by the first process
            for i, halls in enumerate(("all", ["xingfu"], ["xingfu"])):
                rec = notice(f"通知 {i}")
                admin_publish(url2, admin, rec, halls)  # handled by the OTHER process
                assert wait_until(lambda rec=rec: pulled(cache, rec["data"]["uid"]), WAIT_S / 3), \
                    f"publish {i} on process 2 did not wake the hall waiting on process 1"
            # the other hall heard only of what was published to it
            assert wait_until(lambda: other_cache_count(other_cache) == 1, 5)
            time.sleep(0.5)
            assert other_cache_count(other_cache) == 1
            assert worker.status().mode == "wait"
        finally:
            worker.stop()
            other.stop()
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        db.close()
        drop_pg_schema(schema)


@pytest.mark.postgres
def test_a_call_pushed_through_one_process_answers_a_ticket_page_waiting_on_another(make_cache):
    """The residents' live ticket pages wake through the same mechanism as the halls' pulls."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    db = pg_schema_db(schema)
    procs = []
    try:
        with db.sessions.begin() as s:
            _hall, token = store.add_hall(s, "幸福", "xingfu")
        (p1, url1), (p2, url2) = start_process(schema), start_process(schema)
        procs = [p1, p2]
        cache = make_cache()
        hall = SyncWorker(cache, url2, token, apply_content=record_apply, interval_s=600)  # pushes to process 2
        maker = TicketMaker(cache)
        now = datetime.now(UTC)
        mine = maker.issue(day=now.astimezone(ZoneInfo("Asia/Shanghai")).date(), at=now)
        hall.sync_once()
        page = requests.get(f"{url1}/t/{mine}/live", timeout=10).json()  # the page, on process 1
        assert page["state"] == "waiting"

        answer: dict = {}

        def long_poll() -> None:
            started = time.monotonic()
            r = requests.get(f"{url1}/t/{mine}/live", params={"v": page["version"]}, timeout=60)
            answer.update(r.json(), took=time.monotonic() - started)

        poller = threading.Thread(target=long_poll)
        poller.start()
        time.sleep(1.5)  # the page's poll is held by process 1
        assert not answer, "the page's poll answered without a change"
        maker.call(mine, window=3)
        called_at = time.monotonic()
        hall.sync_once()  # the call goes to process 2
        poller.join(POLL_WAIT_S + 10)
        assert answer, "the page's poll never answered"
        assert answer["state"] == "called" and answer["window"] == 3
        # well before the poll's own timeout (25 s): process 2's commit woke process 1
        assert time.monotonic() - called_at < POLL_WAIT_S / 3 and answer["took"] < POLL_WAIT_S - 5, answer
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        db.close()
        drop_pg_schema(schema)


@pytest.mark.postgres
def test_an_office_process_killed_while_halls_wait_loses_and_doubles_nothing(make_cache):
    """SIGKILL of the process holding the halls' waiting pulls, three times, while the office
    publishes (through another process) and the halls push: the halls come back, waiting, with
    every record once and every event stored once."""
    import signal

    from sync.office.models import PushEntry, TicketEvent

    schema = f"t_{uuid.uuid4().hex[:12]}"
    db = pg_schema_db(schema)
    procs: list[subprocess.Popen] = []
    workers: list[SyncWorker] = []
    try:
        with db.sessions.begin() as s:
            tokens = [store.add_hall(s, f"厅{i}", f"h{i}")[1] for i in range(3)]
            admin = store.add_admin(s, "街道办")
        port = free_port()
        (held, url), (other, url2) = start_process(schema, port), start_process(schema)
        procs = [held, other]
        caches = [make_cache(f"hall{i}") for i in range(3)]
        makers = [TicketMaker(c) for c in caches]
        workers = [SyncWorker(c, url, t, apply_content=record_apply, interval_s=0.5, wait_s=WAIT_S, timeout_s=5.0,
                              max_backoff_s=1.0, min_retry_s=0.2, retry_wait_after_s=2.0)
                   for c, t in zip(caches, tokens, strict=True)]
        for w in workers:
            w.start()
        published: list[str] = []

        def publish(title: str) -> None:
            rec = notice(title)
            admin_publish(url2, admin, rec)
            published.append(rec["data"]["uid"])

        for kill in range(3):
            assert wait_until(lambda: all(w.status().mode == "wait" and w.status().online for w in workers), 30)
            for m in makers:
                m.issue(events=2)
            publish(f"杀前 {kill}")  # answers on their way to the halls as the process dies
            time.sleep(0.05 * kill)
            os.kill(procs[0].pid, signal.SIGKILL)
            procs[0].wait(10)
            publish(f"杀后 {kill}")  # while the halls' process is dead
            for m in makers:
                m.issue(events=3)
            procs[0] = start_process(schema, port)[0]
        assert wait_until(lambda: all(pulled(c, u) for c in caches for u in published), 60), \
            "a record published around a kill never reached a hall"
        assert wait_until(lambda: office_events(db) == set().union(*(local_events(c) for c in caches)), 60)
        assert wait_until(lambda: all(w.status().waiting == 0 for w in workers), 30)
        assert wait_until(lambda: all(w.status().mode == "wait" for w in workers), 30), "a hall kept polling"
    finally:
        for w in workers:
            w.stop()
        for p in procs:
            p.kill()
            p.wait(10)
    try:
        for c in caches:  # each notice applied once, nothing left to push
            with c.sessions() as s:
                assert s.scalar(select(func.count()).select_from(ContentRevision)) == len(published)
                assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.done_at.is_(None))) == 0
        with db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(TicketEvent)) == 3 * 3 * 5
            assert s.scalar(select(func.count()).select_from(PushEntry)) == 3 * 3 * 5
    finally:
        db.close()
        drop_pg_schema(schema)


def other_cache_count(cache) -> int:
    with cache.sessions() as s:
        return s.scalar(select(func.count(func.distinct(ContentRevision.record_uid))))


# --- a proxy that cuts long requests ------------------------------------------------------------


class CuttingProxy(Relay):
    """Forwards requests, but closes any connection whose answer takes longer than `cut_s`
    (like a proxy with a short read timeout)."""

    def __init__(self, upstream_port: int, cut_s: float = 1.0):
        self.cut_s = cut_s
        self.cuts = 0
        super().__init__(upstream_port)

    def _handle(self, conn: socket.socket) -> None:
        try:
            request = read_request(conn)
            if request is None:
                return
            with socket.create_connection(self.upstream, timeout=self.cut_s) as up:
                up.sendall(request)
                chunks = []
                try:
                    while chunk := up.recv(65536):
                        chunks.append(chunk)
                except TimeoutError:
                    self.cuts += 1
                    return  # the hall's request dies with the connection
            conn.sendall(b"".join(chunks))
        except OSError:
            pass
        finally:
            conn.close()


def test_a_proxy_that_cuts_long_requests_leads_to_polling_shown_in_the_status(office, make_cache):
    token = office.add_hall("幸福", "xingfu")
    proxy = CuttingProxy(int(office.url.rsplit(":", 1)[1]), cut_s=1.0)
    cache = make_cache()
    worker = SyncWorker(cache, proxy.url, token, apply_content=record_apply, interval_s=0.5, wait_s=5.0,
                        retry_wait_after_s=600)
    config = HallConfig()
    config.hall.data_dir = cache.path.parent
    hall = SimpleNamespace(sync=worker, sync_starting=False, tz=ZoneInfo("Asia/Shanghai"), cache_note="",
                           board=None, voice=None, config=config)
    worker.start()
    try:
        assert wait_until(lambda: worker.status().mode == "poll_fallback", 30), "never fell back to polling"
        assert proxy.cuts >= 2
        assert wait_until(lambda: worker.status().online, 10)
        assert "同步：在线（轮询）" in hall_status(hall, None).sync_text
        # Content still arrives, by polling.
        rec = notice("轮询也收到")
        office.publish([rec], "all")
        assert wait_until(lambda: pulled(cache, rec["data"]["uid"]), 20)
    finally:
        worker.stop()
        proxy.close()
    # Straight to the office, waiting works and the status line has no (轮询).
    direct = SyncWorker(cache, office.url, token, apply_content=record_apply, interval_s=600, wait_s=WAIT_S)
    direct.start()
    try:
        assert wait_until(lambda: direct.status().online, 10)
        assert direct.status().mode == "wait"
        hall.sync = direct
        assert "轮询" not in hall_status(hall, None).sync_text
    finally:
        direct.stop()


def test_waiting_through_a_faulty_network_loses_and_doubles_nothing(office, make_cache):
    """Drops, resets, delays, 5xx, truncated and garbled answers, on the held requests too."""
    token = office.add_hall("幸福", "xingfu")
    proxy = FaultProxy(int(office.url.rsplit(":", 1)[1]), fault_rate=0.4, seed=3, max_delay_s=1.0)
    cache = make_cache()
    worker = SyncWorker(cache, proxy.url, token, apply_content=record_apply, interval_s=0.5, wait_s=2.0,
                        timeout_s=3.0, max_backoff_s=1.0, min_retry_s=0.2, retry_wait_after_s=2.0)
    worker.start()
    maker = TicketMaker(cache)
    published = []
    try:
        for i in range(12):
            maker.issue(events=3)
            rec = notice(f"通知 {i}")
            published.append(rec["data"]["uid"])
            office.publish([rec], "all")
            time.sleep(0.3)
        proxy.fault_rate = 0.0
        assert wait_until(lambda: all(pulled(cache, u) for u in published), 60)
        assert wait_until(lambda: office_events(office.db) == local_events(cache), 60)
        assert wait_until(lambda: worker.status().waiting == 0, 60)  # the hall heard every answer
    finally:
        worker.stop()
        proxy.close()
    assert sum(v for k, v in proxy.counts.items() if k != "pass") > 5
    with cache.sessions() as s:  # each notice pulled once, each event stored once
        assert s.scalar(select(func.count()).select_from(ContentRevision)) == len(published)
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.done_at.is_(None))) == 0
    from sync.office.models import PushEntry, TicketEvent

    with office.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TicketEvent)) == 36
        assert s.scalar(select(func.count()).select_from(PushEntry)) == 36


def test_stopping_the_office_answers_held_requests(start_office, make_cache):
    office = start_office("sqlite")
    token = office.add_hall("幸福", "xingfu")
    got: list[float] = []

    def hold() -> None:
        started = time.monotonic()
        r = requests.get(f"{office.url}/api/v1/pull", params={"wait_s": 200}, timeout=300,
                         headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        got.append(time.monotonic() - started)

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(1.0)
    office.server.stop()
    t.join(30)
    assert got and got[0] < 100, "a held request kept the office from stopping"

