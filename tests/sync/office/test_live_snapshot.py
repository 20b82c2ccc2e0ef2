"""The shared read of a hall's open tickets (sync/office/live_snapshot.py) gives every page the
same state and people ahead as the ticket's own read (store.ticket_status)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sync.office import store
from sync.office.db import OfficeDB
from sync.office.live_snapshot import read_hall
from sync.office.models import Ticket


def test_the_shared_read_matches_each_tickets_own(tmp_path):
    db = OfficeDB(f"sqlite:///{tmp_path / 'office.sqlite3'}")
    day = date(2026, 11, 25)
    start = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    try:
        with db.sessions.begin() as s:
            hall, _ = store.add_hall(s, "幸福社区", "xingfu")
            other, _ = store.add_hall(s, "和平社区", "heping")
            # two businesses; regular and priority tickets interleaved; some called, served, skipped
            plan = [("labor", False, "waiting"), ("labor", True, "waiting"), ("civil", False, "waiting"),
                    ("labor", False, "called"), ("labor", False, "waiting"), ("labor", True, "waiting"),
                    ("civil", True, "waiting"), ("labor", False, "served"), ("labor", False, "skipped"),
                    ("labor", False, "waiting")]
            for i, (business, priority, state) in enumerate(plan):
                s.add(Ticket(uid=str(uuid.uuid4()), hall_id=hall.id, label=f"A{i:03d}", prefix="A", number=i,
                             service_day=day, business_code=business, priority=priority, state=state,
                             window_number=1 if state == "called" else None,
                             issued_at=start + timedelta(minutes=i)))
            s.add(Ticket(uid=str(uuid.uuid4()), hall_id=other.id, label="A001", prefix="A", number=1,
                         service_day=day, business_code="labor", state="waiting", issued_at=start))
            hall_id = hall.id
        with db.sessions() as s:
            snap = read_hall(s, hall_id, 7, day)
            assert snap.generation == 7
            uids = s.query(Ticket.uid, Ticket.state).filter(Ticket.hall_id == hall_id).all()
            open_uids = {u for u, state in uids if state != "served"}
            assert set(snap.statuses) == open_uids  # open tickets only, this hall only
            for uid in open_uids:
                assert snap.statuses[uid] == store.ticket_status(s, uid)
            assert sorted(st.people_ahead for st in snap.statuses.values() if st.business_code == "labor"
                          and st.state == "waiting") == [0, 1, 2, 3, 4]
    finally:
        db.close()
