"""The station head sees this hall's 差评 follow-ups (as the office last sent them) in the staff
area's editor; an editor does not."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kiosk.ui.editor import open_editor
from sync import wire
from sync.cache.models import FollowUp


def follow_up(n: int, *, due_on: date, state: str = "open", overdue: bool = False) -> dict:
    return wire.FollowUpInfo(
        id=n, ticket_uid=f"00000000-0000-4000-8000-00000000000{n}", hall="xingfu", label=f"A00{n}",
        service_day=date(2026, 11, 25), window_number=1, clerk="张敏", business_code="labor",
        level="very_dissatisfied", reasons=["long_wait", "attitude"], comment="等了一个半小时", source="counter",
        rated_at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC), state=state, due_on=due_on, overdue=overdue,
    ).model_dump(mode="json")


def test_the_head_sees_the_open_follow_ups_the_editor_does_not(qtbot, hall, people):
    with hall.cache.transaction() as s:
        s.add(FollowUp(ticket_uid="00000000-0000-4000-8000-000000000002",
                       data=follow_up(2, due_on=date(2026, 12, 2), state="visited")))
        s.add(FollowUp(ticket_uid="00000000-0000-4000-8000-000000000001",
                       data=follow_up(1, due_on=date(2026, 11, 30), overdue=True)))
    head = open_editor(hall, people["head"])
    qtbot.addWidget(head)
    tabs = [head.tabs.tabText(i) for i in range(head.tabs.count())]
    assert "差评回访" in tabs
    view = head.follow_ups
    assert view.summary.text() == "差评回访：2 件未整改，其中 1 件已超期"
    rows = [[view.table.item(r, c).text() for c in range(view.table.columnCount())] for r in range(view.table.rowCount())]
    assert rows[0][:6] == ["A001", "2026-11-25", "1号", "张敏", "labor", "非常不满意"]  # the earliest deadline first
    assert rows[0][6:] == ["等待时间长、态度不好", "等了一个半小时", "待回访", "2026-11-30（已超期）"]
    assert rows[1][8] == "已回访"

    editor = open_editor(hall, people["editor"])
    qtbot.addWidget(editor)
    assert "差评回访" not in [editor.tabs.tabText(i) for i in range(editor.tabs.count())]
