"""The ticket engine: every counter action and rule, against a real SQLite cache."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from kiosk.services.events import TicketCalled, TicketIssued
from kiosk.services.queue import QueueError
from sync.cache.models import AuditLog, Outbox, Ticket, TicketEvent
from tests.kiosk.services.queue_world import TZ, Clock, Recorder, make_queue, seed_hall


def events_of(cache, label):
    with cache.sessions() as s:
        t = s.scalar(select(Ticket).where(Ticket.label == label))
        return [e.kind for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)
                                          .order_by(TicketEvent.id))]


def test_numbers_per_business_with_prefix(q):
    labels = [q.issue_ticket("labor").label for _ in range(3)] + [q.issue_ticket("civil").label]
    assert labels == ["A001", "A002", "A003", "B001"]


def test_issue_unknown_business_is_a_clear_error(q):
    with pytest.raises(QueueError, match="没有这项业务：nope"):
        q.issue_ticket("nope")


def test_numbering_restarts_at_the_halls_local_midnight(cache):
    seed_hall(cache)
    clock = Clock(datetime(2026, 11, 25, 23, 59, tzinfo=TZ))
    q, _ = make_queue(cache, clock)
    assert q.issue_ticket("labor").label == "A001"
    assert q.issue_ticket("labor").label == "A002"
    clock.advance(minutes=2)  # 00:01 in Shanghai, still 16:01 UTC of the same UTC day
    t = q.issue_ticket("labor")
    assert t.label == "A001"
    assert q.ticket(t.uid).service_day.isoformat() == "2026-11-26"
    # yesterday's leftovers are not called today
    assert q.call_next(1).label == "A001"
    assert q.call_next(1) is None


def test_max_number_per_day(cache, clock):
    seed_hall(cache)
    q, _ = make_queue(cache, clock, max_number=9)
    for _ in range(9):
        q.issue_ticket("labor")
    with pytest.raises(QueueError, match="号已取完") as refused:
        q.issue_ticket("labor")
    # a code and parameters for a screen in another language (the kiosk's English 取号)
    assert refused.value.code == "sold_out"
    assert refused.value.params["business"] == "labor" and refused.value.params["name"] == "劳动保障业务"


def test_call_next_oldest_first_and_finishes_previous(q):
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    assert q.call_next(1).label == "A001"
    assert q.call_next(1).label == "A002"
    assert q.ticket("A001").state == "served"
    assert q.call_next(1) is None
    assert q.ticket("A002").state == "served"


def test_window_serves_its_businesses_in_its_own_order(q, clock):
    q.issue_ticket("civil")  # B001 older
    clock.advance(minutes=1)
    q.issue_ticket("health")  # C001
    # window 3: health first, then civil
    assert q.call_next(3).label == "C001"
    assert q.call_next(3).label == "B001"
    assert q.call_next(3) is None


def test_priority_first(q, clock):
    q.issue_ticket("labor")
    clock.advance(seconds=5)
    p = q.issue_ticket("labor", priority=True)
    assert p.priority and p.people_ahead == 0
    assert q.call_next(1).label == "A002"
    assert q.call_next(1).label == "A001"


def test_priority_first_across_the_windows_businesses(q, clock):
    q.issue_ticket("health")
    q.issue_ticket("civil", priority=True)
    assert q.call_next(3).label == "B001"


def test_priority_ratio_lets_a_regular_ticket_through(cache, clock):
    seed_hall(cache)
    q, _ = make_queue(cache, clock, priority_rule="ratio", priority_ratio=2)
    q.issue_ticket("labor")  # A001 regular
    for _ in range(4):
        clock.advance(seconds=1)
        q.issue_ticket("labor", priority=True)  # A002..A005
    order = [q.call_next(1).label for _ in range(5)]
    assert order == ["A002", "A003", "A001", "A004", "A005"]


def test_priority_off_keeps_issue_order(cache, clock):
    seed_hall(cache)
    q, _ = make_queue(cache, clock, priority_rule="off")
    q.issue_ticket("labor")
    clock.advance(seconds=1)
    q.issue_ticket("labor", priority=True)
    assert [q.call_next(1).label, q.call_next(1).label] == ["A001", "A002"]


def test_recall_repeats_the_call(q):
    q.issue_ticket("labor")
    q.call_next(1)
    view = q.recall(1)
    assert view.label == "A001" and view.call_count == 2
    assert events_of(q.cache, "A001") == ["issued", "called", "recalled"]


def test_recall_without_a_ticket(q):
    with pytest.raises(QueueError, match="1号窗口当前没有正在办理的号"):
        q.recall(1)


@pytest.mark.parametrize("rule,after,expected", [
    ("front", 0, ["A001", "A002", "A003", "A004", "A005"]),
    ("after", 2, ["A002", "A003", "A001", "A004", "A005"]),
    ("after", 10, ["A002", "A003", "A004", "A005", "A001"]),
])
def test_skipped_resident_comes_back_per_rule(cache, clock, rule, after, expected):
    seed_hall(cache)
    q, _ = make_queue(cache, clock, skip_return=rule, skip_return_after=after)
    for _ in range(5):
        clock.advance(seconds=1)
        q.issue_ticket("labor")
    assert q.call_next(1).label == "A001"
    assert q.skip(1).state == "skipped"
    assert q.window_state(1).skipped[0].label == "A001"
    q.return_skipped("a001")
    order = [q.call_next(1).label for _ in range(5)]
    assert order == expected
    assert events_of(cache, "A001")[:4] == ["issued", "called", "skipped", "returned"]


def test_return_only_skipped(q):
    q.issue_ticket("labor")
    with pytest.raises(QueueError, match="不是过号状态"):
        q.return_skipped("A001")


def test_transfer_to_another_business_keeps_the_label_and_goes_first(q, clock):
    q.issue_ticket("labor")
    q.issue_ticket("civil")
    clock.advance(minutes=1)
    q.call_next(1)
    view = q.transfer(1, business_code="civil")
    assert (view.label, view.business_code, view.state) == ("A001", "civil", "waiting")
    assert q.call_next(2).label == "A001"  # front of the civil queue (transfer_to = front)
    assert q.call_next(2).label == "B001"


def test_transfer_chain_to_window_and_business(q):
    q.issue_ticket("labor")
    q.call_next(1)
    q.transfer(1, to_window=4)  # window 4 serves disability only, but it was sent there
    assert q.call_next(4).label == "A001"
    q.transfer(4, business_code="health")
    assert q.call_next(3).label == "A001"
    q.finish(3)
    assert q.ticket("A001").state == "served"
    assert events_of(q.cache, "A001") == ["issued", "called", "transferred", "called", "transferred", "called",
                                          "served"]
    with q.cache.sessions() as s:
        details = [e.detail for e in s.scalars(select(TicketEvent).where(TicketEvent.kind == "transferred"))]
    assert details[0]["to_window"] == 4 and details[1]["to_business"] == "health"


def test_transfer_to_window_is_not_called_elsewhere(q):
    q.issue_ticket("disability")
    q.call_next(4)
    q.transfer(4, to_window=2)
    assert q.call_next(4) is None
    assert q.call_next(2).label == "D001"


def test_transfer_needs_a_target(q):
    q.issue_ticket("labor")
    q.call_next(1)
    with pytest.raises(QueueError, match="请选择"):
        q.transfer(1)
    with pytest.raises(QueueError, match="不能转到本窗口"):
        q.transfer(1, to_window=1)
    with pytest.raises(QueueError, match="没有9号窗口"):
        q.transfer(1, to_window=9)


def test_hold_and_bring_back(q):
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    q.call_next(1)
    assert q.hold(1).state == "held"
    assert q.call_next(1).label == "A002"
    state = q.window_state(1)
    assert [t.label for t in state.held] == ["A001"]
    back = q.bring_back(1, "A001")
    assert back.state == "called" and back.call_count == 2
    assert q.ticket("A002").state == "served"  # finished when A001 came back
    with pytest.raises(QueueError, match="没有挂起在2号窗口"):
        q.bring_back(2, "A001")


def test_call_specific_ticket_needs_a_reason_and_is_logged(q):
    for _ in range(3):
        q.issue_ticket("labor")
    with pytest.raises(QueueError, match="原因"):
        q.call_ticket(1, "A003", reason="  ")
    view = q.call_ticket(1, "A003", reason="老人行动不便")
    assert view.label == "A003" and view.state == "called"
    with q.cache.sessions() as s:
        audit = s.scalar(select(AuditLog).where(AuditLog.action == "call_out_of_order"))
        ev = s.scalar(select(TicketEvent).where(TicketEvent.kind == "called").order_by(TicketEvent.id.desc()))
    assert audit.target == "A003" and audit.detail["reason"] == "老人行动不便"
    assert ev.detail["out_of_order"] is True
    assert q.call_next(1).label == "A001"


def test_call_back_a_skipped_ticket(q):
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    q.call_next(1)
    q.skip(1)
    q.call_next(1)
    view = q.call_ticket(1, "A001", reason="回呼")
    assert view.label == "A001" and view.call_count == 2


def test_finish_and_cancel(q):
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    q.call_next(1)
    assert q.finish(1).state == "served"
    assert q.cancel("A002", reason="离开").state == "cancelled"
    with pytest.raises(QueueError, match="不能作废"):
        q.cancel("A002")
    assert q.call_next(1) is None


def test_finish_on_next_off_refuses(cache, clock):
    seed_hall(cache)
    q, _ = make_queue(cache, clock, finish_on_next=False)
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    q.call_next(1)
    with pytest.raises(QueueError, match="请先办结"):
        q.call_next(1)


def test_pause_and_resume(q):
    q.issue_ticket("labor")
    q.pause(1)
    with pytest.raises(QueueError, match="暂停服务"):
        q.call_next(1)
    view = q.board_view()
    assert [c.window_number for c in view.calls if c.paused] == [1]
    q.resume(1)
    assert q.call_next(1).label == "A001"


def test_people_ahead_and_estimate_from_recent_service_times(q, clock):
    first = q.issue_ticket("labor")
    assert (first.people_ahead, first.estimated_wait_minutes) == (0, 0)
    second = q.issue_ticket("labor")
    # nothing served today yet: the business's configured 12 minutes, one window open
    assert (second.people_ahead, second.estimated_wait_minutes) == (1, 12)
    q.call_next(1)
    clock.advance(minutes=4)
    q.call_next(1)  # A001 took 4 minutes
    clock.advance(minutes=6)
    q.finish(1)  # A002 took 6 minutes -> average 5
    for _ in range(3):
        q.issue_ticket("labor")
    t = q.issue_ticket("labor")
    assert t.people_ahead == 3
    assert t.estimated_wait_minutes == 15
    q.pause(1)
    assert q.issue_ticket("labor").estimated_wait_minutes is None  # no open window


def test_estimate_divides_by_open_windows(q):
    for _ in range(4):
        q.issue_ticket("civil")  # windows 2 and 3 serve civil; 15 min each
    t = q.issue_ticket("civil")
    assert t.people_ahead == 4 and t.estimated_wait_minutes == 30


def test_every_action_writes_event_and_outbox_in_one_go(q):
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    q.call_next(1)
    q.recall(1)
    q.skip(1)
    q.return_skipped("A001")
    assert q.call_next(1).label == "A002"  # A001 came back after A002 (skip_return_after = 3)
    q.transfer(1, business_code="civil")
    q.call_next(2)
    q.hold(2)
    q.bring_back(2, "A002")
    q.finish(2)
    q.cancel("A001")
    with q.cache.sessions() as s:
        events = s.scalars(select(TicketEvent).order_by(TicketEvent.id)).all()
        outbox = {o.uid: o for o in s.scalars(select(Outbox))}
    assert len(events) == len(outbox) == 13
    for e in events:
        entry = outbox[e.uid]
        assert entry.kind == "ticket_event"
        assert entry.payload["event"]["kind"] == e.kind
        assert set(entry.payload["ticket"]) == {"uid", "label", "prefix", "number", "service_day", "business_code",
                                                "priority", "state", "window_number", "issued_at", "called_at",
                                                "finished_at"}
    last = outbox[events[-1].uid].payload
    assert last["ticket"]["state"] == "cancelled" and last["ticket"]["label"] == "A001"
    served = next(outbox[e.uid].payload for e in events if e.kind == "served")
    assert served["ticket"]["window_number"] == 2 and served["event"]["window_number"] == 2
    assert served["ticket"]["business_code"] == "civil"


def test_events_published_after_commit_only(cache, clock):
    seed_hall(cache)
    q, bus = make_queue(cache, clock)
    rec = Recorder(bus)
    q.issue_ticket("labor")
    q.call_next(1)
    q.recall(1)
    q.call_next(1)  # nobody waiting: finishes A001
    q.pause(1)
    q.resume(1)
    assert rec.topics() == ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.finished",
                            "window.paused", "window.resumed"]
    called = rec.seen[1]
    assert isinstance(called, TicketCalled) and called.window_number == 1 and called.ticket.label == "A001"

    def explode(_event):
        raise RuntimeError("listener bug")  # one listener failing must not undo the commit

    bus.subscribe(TicketIssued, explode)
    q.issue_ticket("labor")
    assert q.ticket("A002").state == "waiting"
    rec.seen.clear()
    with pytest.raises(QueueError):
        q.transfer(1, business_code="civil")  # nothing at the window: no event
    assert rec.seen == []


def test_board_view(q, clock):
    q.issue_ticket("labor")
    q.issue_ticket("health")
    q.issue_ticket("health")
    q.call_next(1)
    clock.advance(seconds=30)
    q.call_next(3)
    q.pause(4)
    view = q.board_view()
    calls = {c.window_number: c for c in view.calls}
    assert calls[1].ticket_label == "A001" and calls[1].business_name == "劳动保障"
    assert calls[3].ticket_label == "C001"
    assert calls[4].paused and 2 not in calls
    assert [c.ticket_label for c in view.recent] == ["C001", "A001"]
    assert view.waiting["计生卫生"] == 1 and view.waiting["劳动保障"] == 0


def test_window_state_counts(q, clock):
    for _ in range(3):
        q.issue_ticket("labor")
    q.issue_ticket("labor", priority=True)
    q.call_next(1)  # A004 (priority)
    clock.advance(minutes=10)
    q.call_next(1)  # A001
    q.skip(1)
    state = q.window_state(1)
    assert state.served_today == 1 and state.skipped_today == 1
    assert state.avg_service_minutes == 10.0
    assert [t.label for t in state.waiting] == ["A002", "A003"] and state.waiting_total == 2
    assert state.businesses == ["劳动保障业务"]
    assert state.current is None


def test_businesses_and_windows(q):
    q.issue_ticket("civil")
    q.pause(3)
    info = {b.code: b for b in q.businesses()}
    assert info["civil"].waiting == 1 and info["civil"].open_windows == 1 and info["civil"].prefix == "B"
    assert [w.number for w in q.windows()] == [1, 2, 3, 4]


def test_numbers_gap_free_and_unique(q):
    for i in range(30):
        q.issue_ticket(["labor", "civil"][i % 2])
    with q.cache.sessions() as s:
        rows = s.execute(select(Ticket.prefix, func.count(), func.max(Ticket.number)).group_by(Ticket.prefix)).all()
    assert sorted(rows) == [("A", 15, 15), ("B", 15, 15)]


@pytest.mark.parametrize("rule", ["first", "off"])
def test_the_consoles_waiting_list_is_the_calling_order(cache, clock, rule):
    seed_hall(cache)
    q, _ = make_queue(cache, clock, priority_rule=rule)
    for code, priority in [("disability", False), ("civil", False), ("disability", True), ("civil", False),
                           ("civil", True), ("labor", False), ("disability", False)]:
        q.issue_ticket(code, priority=priority)
        clock.advance(minutes=1)
    q.call_next(1)  # A001 ...
    q.transfer(1, to_window=2)  # ... sent to window 2: first there
    listed = [t.label for t in q.window_state(2).waiting]
    assert q.window_state(2, limit=2).waiting_total == len(listed) == 7
    assert [t.label for t in q.window_state(2, limit=2).waiting] == listed[:2]
    called = []
    while (t := q.call_next(2)) is not None:
        called.append(t.label)
    assert listed == called
    assert listed[0] == "A001"
