"""Screenshots of the content editor: the guide form with validation messages, the kiosk
preview, the history diff, the conflict screen and a shared guide's proposal to the office.

The shots edit content to have something to show, so they work on a copy of the hall's cache
in a temporary folder: taking screenshots never changes the real hall.
"""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from kiosk.services.auth import StaffSession
from kiosk.services.editor import EditorService
from kiosk.ui.screenshots import ShotContext, settle, settle_until, shot
from sync.cache import models as m
from sync.cache.db import backup_database, open_cache
from sync.content import derive_uid

SIZE = (1600, 1000)
DIBAO = derive_uid("guide", "MZ-001")
LD001 = derive_uid("guide", "LD-001")
_demo: dict[int, Any] = {}


def demo_editor(ctx: ShotContext) -> tuple[EditorService, StaffSession]:
    """An EditorService on a throw-away copy of the hall's cache, with two published edits."""
    if id(ctx) in _demo:
        return _demo[id(ctx)]
    from kiosk.services.events import EventBus

    folder = Path(tempfile.mkdtemp(prefix="yizhan-editor-shots-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = folder / "hall.sqlite3"
    backup_database(ctx.hall.cache.path, target)
    service = EditorService(open_cache(target), EventBus())
    staff = StaffSession(0, "陈静", "head")
    state = service.load("guide", DIBAO)
    state.data["materials"].append({"name": "本人银行卡或存折", "copies": 1, "form": "copy",
                                    "notes": "用于按月发放保障金"})
    steps = state.data["steps"]
    steps[3], steps[4] = steps[4], steps[3]
    state.data["phone"] = "028-85550199（示例号码）"
    service.publish(staff, state)
    office = copy.deepcopy(state.data)  # the office edited version 2 as well ...
    office["promised_time_limit"] = "15个工作日"
    office["hours"] = "周一至周六 9:00-12:00，14:00-18:00"
    state.data["hours"] = "周一至周五 8:30-12:00，14:00-17:30"  # ... and so did this hall
    state.data["fees"] = "不收费"
    state.data["steps"] = [*steps, "领取《最低生活保障金领取证》"]
    service.publish(staff, state)
    mine = copy.deepcopy(state.data)
    with service.cache.transaction() as session:  # as the sync worker stores an office refusal
        session.add(m.Conflict(kind="guide", record_uid=DIBAO, local_version=3, local_data=mine,
                               office_version=3, office_data=office))
    # This hall's edit of a guide shared with other halls, sent to the office for review.
    ld001 = service.load("guide", LD001).data
    with service.cache.transaction() as session:  # as the sync worker keeps an office's "proposed"
        session.add(m.Proposal(office_id=1, kind="guide", record_uid=LD001, author=staff.name, state="pending",
                               data={**ld001, "hours": "周一至周六 9:00-17:00"}, decided_by="", note=""))
    _demo[id(ctx)] = (service, staff)
    return service, staff


def _window(ctx: ShotContext) -> Any:
    from kiosk.ui.editor.window import EditorWindow

    service, staff = demo_editor(ctx)
    window = EditorWindow(service, staff, ctx.hall.tz, ctx.hall)  # the preview is the real kiosk screen
    window.resize(*SIZE)
    window.show()
    settle()
    return window


@shot("editor_guide")
def guide_form(ctx: ShotContext) -> QWidget:
    window = _window(ctx)
    page = window.page("guide")
    page.select(DIBAO)
    form = page.form
    form.fields["name"].widget.setText("<b>最低生活保障申请</b>")
    form.materials.add_row({"name": "", "copies": 2, "form": "copy", "notes": "近3个月"})
    page.publish_button.click()
    settle_until(page.publish_button.isEnabled)  # the refusal comes back from a worker thread
    return window


@shot("editor_preview")
def guide_preview(ctx: ShotContext) -> QWidget:
    window = _window(ctx)
    page = window.page("guide")
    page.select(DIBAO)
    page.show_preview()
    settle()
    return window


@shot("editor_history")
def history(ctx: ShotContext) -> QWidget:
    window = _window(ctx)
    page = window.page("guide")
    page.select(DIBAO)
    view = page.show_history()
    view.select_version(2)
    settle()
    return window


@shot("editor_conflict")
def conflict(ctx: ShotContext) -> QWidget:
    window = _window(ctx)
    view = window.show_conflicts()
    view.choose("hours", "mine")
    settle()
    return window


@shot("editor_proposal")
def proposal(ctx: ShotContext) -> QWidget:
    window = _window(ctx)
    page = window.page("guide")
    page.select(LD001)
    settle()
    return window
