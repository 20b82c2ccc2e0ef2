"""The editor shows where this hall's proposal for a shared record stands at the office."""

from __future__ import annotations

from sqlalchemy import select

from kiosk.services.auth import StaffSession
from kiosk.services.editor import EditorService
from kiosk.ui.editor import open_editor
from sync.cache import models as m
from sync.content import derive_uid

LD001 = derive_uid("guide", "LD-001")
DIBAO = derive_uid("guide", "MZ-001")


def test_proposal_state_is_shown_with_the_record(qtbot, hall):
    service = EditorService.for_hall(hall)
    data = service.load("guide", LD001).data
    with hall.cache.transaction() as s:  # as the sync worker keeps the office's "proposed" answer
        s.add(m.Proposal(office_id=7, kind="guide", record_uid=LD001, data={**data, "fees": "50元"},
                         author="王芳", state="pending", decided_by="", note=""))
    window = open_editor(hall, StaffSession(1, "王芳", "editor"))
    qtbot.addWidget(window)
    window.show()
    page = window.page("guide")
    page.select(LD001)
    assert page.proposal.isVisible() and "已提交审核" in page.proposal.text()
    page.select(DIBAO)  # a record without a proposal says nothing
    assert not page.proposal.isVisible()

    # The office rejects it; the sync worker records that and announces it.
    with hall.cache.transaction() as s:
        p = s.scalar(select(m.Proposal).where(m.Proposal.office_id == 7))
        p.state, p.decided_by, p.note = "rejected", "街道办 张科长", "收费须按统一标准"
    page.select(LD001)
    assert "已驳回" in page.proposal.text() and "收费须按统一标准" in page.proposal.text()
