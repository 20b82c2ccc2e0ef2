"""The editor shows where this hall's proposal for a shared record stands at the office."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from kiosk.services.auth import StaffSession
from kiosk.services.editor import EditorService
from kiosk.ui.editor import _EventBridge, open_editor
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


def test_the_sync_workers_news_refreshes_the_editor_once_per_burst(qtbot, hall):
    window = open_editor(hall, StaffSession(1, "王芳", "editor"))
    qtbot.addWidget(window)
    bridge = window.findChild(_EventBridge)
    assert bridge.findChildren(QTimer) == []  # woken through the task runner's inbox, not by polling
    refreshes = []
    bridge.arrived.connect(lambda: refreshes.append(threading.current_thread()))

    def sync_worker():  # announces as the sync worker does, on its own thread, several at once
        for state in ("rejected", "accepted", "partial"):
            hall.events.publish("content.proposal", kind="guide", uid=LD001, proposal=8, state=state)

    worker = threading.Thread(target=sync_worker)
    worker.start()
    worker.join()  # all three announced before the GUI thread reads its inbox
    qtbot.waitUntil(lambda: len(refreshes) == 1)
    QApplication.processEvents()
    assert refreshes == [threading.main_thread()]  # one refresh for the burst, on the GUI thread

    hall.events.publish("content.conflict", kind="guide", uid=LD001)  # a later event: a refresh of its own
    qtbot.waitUntil(lambda: len(refreshes) == 2)
