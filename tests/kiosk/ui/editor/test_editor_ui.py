"""The editor as staff use it: log in, edit materials and steps, see errors, publish, see the
kiosk's catalogue change, read the history diff, restore, resolve a conflict; roles and lockout."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from sqlalchemy import select

from kiosk.services.catalog import Catalog
from kiosk.services.editor import EditorService
from kiosk.ui.editor import EditorApp, open_editor
from kiosk.ui.editor.preview import GuidePreview, detail_from_data
from sync.cache import models as m
from sync.content import derive_uid

DIBAO = derive_uid("guide", "MZ-001")
LEFT = Qt.MouseButton.LeftButton


def press(qtbot, button):
    """Press a button whose action writes the cache off the GUI thread (kiosk/ui/tasks.py): it
    is disabled until the answer is on screen."""
    qtbot.mouseClick(button, LEFT)
    qtbot.waitUntil(button.isEnabled, timeout=5000)


def log_in(qtbot, hall, name, pin="2468"):
    app = EditorApp(hall)
    qtbot.addWidget(app)
    app.resize(1400, 900)
    app.show()
    app.login.name.setCurrentText(name)
    qtbot.keyClicks(app.login.pin, pin)
    press(qtbot, app.login.button)
    return app


def audit_actions(hall, actor):
    """What `actor` did in this test (the template hall already holds one login each)."""
    with hall.cache.sessions() as s:
        return [r.action for r in s.scalars(select(m.AuditLog).where(m.AuditLog.actor == actor)
                                            .order_by(m.AuditLog.id))][1:]


def test_edit_materials_and_steps_publish_and_restore(qtbot, hall, monkeypatch):
    catalog = Catalog(hall.cache, hall.events)  # what the kiosk screens read, reloaded on content.changed
    original = catalog.guide(DIBAO)
    app = log_in(qtbot, hall, "王芳")
    assert app.currentWidget() is app.editor
    page = app.editor.page("guide")
    page.select(DIBAO)
    form = page.form

    # materials: add a row through the table, fill it in
    qtbot.mouseClick(form.materials.buttons.buttons["add_row"], LEFT)
    row = form.materials.table.rowCount() - 1
    form.materials.set_cell(row, 0, "本人银行卡或存折")
    form.materials.table.cellWidget(row, 1).setValue(2)
    form.materials.table.cellWidget(row, 2).setCurrentIndex(1)  # 复印件
    # steps: move the fifth step up one place, add a last step
    form.steps.list.setCurrentRow(4)
    qtbot.mouseClick(form.steps.buttons.buttons["move_up"], LEFT)
    form.steps.add_step("领取《最低生活保障金领取证》")
    # a bad phone number and an empty material name: refused, messages next to the fields
    form.fields["phone"].widget.setText("请找王主任")
    qtbot.mouseClick(form.materials.buttons.buttons["add_row"], LEFT)
    press(qtbot, page.publish_button)
    assert "电话格式不对" in form.error_text("phone")
    assert "phone" not in form.error_text("phone")  # the editor's language only, not "中文 (English)"
    assert f"第{row + 2}行 材料名称：不能为空" in form.error_text("materials")
    assert form.error_text("name") == ""
    assert "未发布" in page.status.text()
    assert catalog.guide(DIBAO).version == 1

    form.fields["phone"].widget.setText("028-85550199（示例号码）")
    qtbot.waitUntil(lambda: form.error_text("phone") == "")  # re-checked as the person types
    assert "不能为空" in form.error_text("materials")
    form.materials.table.setCurrentCell(row + 1, 0)
    qtbot.mouseClick(form.materials.buttons.buttons["remove_row"], LEFT)
    press(qtbot, page.publish_button)
    assert "已发布第 2 版" in page.status.text()
    assert form.error_text("phone") == ""

    # the kiosk shows the change at once
    shown = catalog.guide(DIBAO)
    assert shown.version == 2
    assert (shown.materials[-1].name, shown.materials[-1].copies, shown.materials[-1].form) == \
        ("本人银行卡或存折", 2, "copy")
    assert shown.steps[3] == original.steps[4] and shown.steps[4] == original.steps[3]
    assert shown.steps[-1] == "领取《最低生活保障金领取证》"
    kiosk_view = GuidePreview()
    qtbot.addWidget(kiosk_view)
    kiosk_view.show_guide(shown)
    assert "本人银行卡或存折（复印件 2 份）" in kiosk_view.text()

    # history: version 2 against version 1, field by field
    history = page.show_history()
    assert history.versions.count() == 2
    history.select_version(2)
    rows = {label: (old, new) for label, old, new in history.row_texts()}
    assert set(rows) == {"申请材料", "办理流程", "咨询电话"}
    assert "+ 6. 本人银行卡或存折 · 复印件 · 2份" in rows["申请材料"][1]
    assert rows["咨询电话"] == ("028-85550102（示例号码）", "028-85550199（示例号码）")

    # restore version 1 (as version 3)
    def answer() -> None:  # the question's buttons say what they do, in Chinese (not Qt's Yes/No)
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        by_text = {b.text(): b for b in box.buttons()}
        assert set(by_text) == {"恢复并发布", "取消"}
        by_text["恢复并发布"].click()

    QTimer.singleShot(50, answer)
    history.select_version(1)
    qtbot.mouseClick(history.restore_button, LEFT)
    qtbot.waitUntil(lambda: "已将第 1 版恢复为第 3 版" in history.message.text(), timeout=5000)
    restored = catalog.guide(DIBAO)
    assert restored.version == 3 and restored.materials == original.materials and restored.steps == original.steps
    assert page.state.base_version == 3

    assert audit_actions(hall, "王芳") == ["login", "publish", "restore"]


def test_preview_shows_the_unpublished_form_as_the_kiosk_would(qtbot, hall, people):
    editor = open_editor(hall, people["editor"])
    qtbot.addWidget(editor)
    page = editor.page("guide")
    page.select(DIBAO)
    page.form.fields["fees"].widget.setPlainText("工本费 10 元")
    preview = page.show_preview()
    text = preview.text()
    assert "收费标准\n工本费 10 元" in text and "办理流程" in text
    with hall.cache.sessions() as s:  # a preview stores nothing
        assert s.scalar(select(m.ServiceGuide.fees).where(m.ServiceGuide.uid == DIBAO)) == ""


def test_markup_typed_into_a_field_is_refused_and_never_rendered(qtbot, hall, people):
    editor = open_editor(hall, people["editor"])
    qtbot.addWidget(editor)
    page = editor.page("guide")
    page.select(DIBAO)
    attack = "<img src=x onerror=alert(1)><b>免费</b>"
    page.form.fields["conditions"].widget.setPlainText(attack)
    page.form.fields["name"].widget.setText("<a href='javascript:alert(1)'>低保</a>")
    press(qtbot, page.publish_button)
    assert "网页标记" in page.form.error_text("conditions")
    assert "网页标记" in page.form.error_text("name")
    assert "onerror" not in str(Catalog(hall.cache).guide(DIBAO))
    # The preview is the kiosk's own guide screen: it shows the typed markup as literal text.
    kiosk_preview = page.show_preview()
    shown = [lb for lb in kiosk_preview.findChildren(QLabel) if lb.text() == attack]
    assert shown and all(lb.textFormat() == Qt.TextFormat.PlainText for lb in shown)
    # Even if markup came from elsewhere (an old office copy), the preview shows it literally.
    data = copy.deepcopy(EditorService(hall.cache).load("guide", DIBAO).data)
    data["conditions"] = attack
    preview = GuidePreview()
    qtbot.addWidget(preview)
    preview.show_guide(detail_from_data(data, {}))
    labels = [lb for lb in preview.findChildren(QLabel) if lb.text() == attack]
    assert labels and all(lb.textFormat() == Qt.TextFormat.PlainText for lb in labels)


def test_lockout_after_five_wrong_pins(qtbot, hall):
    app = log_in(qtbot, hall, "王芳", "1111")
    assert "还可尝试 4 次" in app.login.error.text()
    for _ in range(4):
        qtbot.keyClicks(app.login.pin, "1111")
        press(qtbot, app.login.button)
    assert "已锁定" in app.login.error.text()
    qtbot.keyClicks(app.login.pin, "2468")
    press(qtbot, app.login.button)
    assert "账户已锁定" in app.login.error.text()
    assert app.currentWidget() is app.login and app.login.pin.text() == ""
    assert audit_actions(hall, "王芳") == ["login_failed"] * 6


def test_role_limits(qtbot, hall, people):
    clerk_app = log_in(qtbot, hall, "张敏")
    assert "没有编辑内容的权限" in clerk_app.login.error.text()
    assert clerk_app.currentWidget() is clerk_app.login
    clerk_view = open_editor(hall, people["clerk"])
    qtbot.addWidget(clerk_view)
    assert clerk_view.pages == {} and clerk_view.findChild(QLabel, "no_permission") is not None
    editor_view = open_editor(hall, people["editor"])
    qtbot.addWidget(editor_view)
    assert set(editor_view.pages) == {"guide", "category", "notice"}
    head_view = open_editor(hall, people["head"])
    qtbot.addWidget(head_view)
    assert set(head_view.pages) == {"guide", "category", "notice", "business_type", "window"}


def test_head_edits_a_business_type_with_a_duplicate_prefix(qtbot, hall, people):
    view = open_editor(hall, people["head"])
    qtbot.addWidget(view)
    page = view.page("business_type")
    qtbot.mouseClick(page.findChild(type(page.publish_button), "btn_new"), LEFT)
    f = page.form.fields
    f["name"].widget.setText("低保专窗")
    f["code"].widget.setText("dibao")
    f["name_en"].widget.setText("Minimum allowance")
    f["prefix"].widget.setText("A")
    press(qtbot, page.publish_button)
    assert "票号前缀 A 已被“劳动保障业务”使用" in page.form.error_text("prefix")
    f["prefix"].widget.setText("G")
    page.form.lead_guides.set_checked(DIBAO, True)
    press(qtbot, page.publish_button)
    assert "已发布第 1 版" in page.status.text()
    assert Catalog(hall.cache).guide(DIBAO).business_code == "dibao"


def test_notice_ending_before_it_starts(qtbot, hall, people):
    view = open_editor(hall, people["editor"])
    qtbot.addWidget(view)
    page = view.page("notice")
    page.new_record()
    f = page.form.fields
    f["title"].widget.setText("停水通知")
    f["body"].widget.setPlainText("12月5日 9:00-17:00 停水检修。")
    f["starts_on"].set("2026-12-05")
    f["ends_on"].set("2026-12-01")
    press(qtbot, page.save_button)  # a draft keeps it, and says what is wrong
    assert "结束日期早于开始日期" in page.form.error_text("ends_on")
    press(qtbot, page.publish_button)
    assert "未发布" in page.status.text()
    f["ends_on"].set("2026-12-05")
    press(qtbot, page.publish_button)
    assert "已发布第 1 版" in page.status.text()


def test_conflict_screen_merges_field_by_field(qtbot, hall, people):
    service = EditorService(hall.cache, hall.events)
    state = service.load("guide", DIBAO)
    office = copy.deepcopy(state.data)
    office["hours"] = "周一至周六 9:00-12:00"
    office["promised_time_limit"] = "15个工作日"
    mine = copy.deepcopy(state.data)
    mine["hours"] = "周一至周五 8:30-17:30"
    mine["fees"] = "不收费"
    view = open_editor(hall, people["editor"])
    qtbot.addWidget(view)
    guides = view.page("guide")
    guides.select(DIBAO)
    guides.form.fields["location"].widget.setText("二楼 5 号窗口")  # unsaved typing
    with hall.cache.transaction() as s:
        s.add(m.Conflict(kind="guide", record_uid=DIBAO, local_version=2, local_data=mine,
                         office_version=2, office_data=office))
    hall.events.publish("content.conflict", kind="guide", uid=DIBAO)  # as the sync worker announces it
    qtbot.waitUntil(lambda: "冲突（1）" in view.tabs.tabText(view.tabs.indexOf(view.conflicts)))
    assert guides.form.fields["location"].widget.text() == "二楼 5 号窗口"  # survived the refresh
    conflicts = view.show_conflicts()
    labels = [conflicts.table.item(r, 0).text() for r in range(conflicts.table.rowCount())]
    assert labels == ["承诺办结时限", "收费标准", "办理时间"]
    conflicts.choose("hours", "mine")
    qtbot.mouseClick(conflicts.merge_button, LEFT)
    qtbot.waitUntil(lambda: "发布为第 3 版" in conflicts.message.text(), timeout=5000)
    shown = Catalog(hall.cache).guide(DIBAO)
    assert (shown.hours, shown.promised_time_limit, shown.fees) == ("周一至周五 8:30-17:30", "15个工作日", "")
    assert view.tabs.tabText(view.tabs.indexOf(view.conflicts)) == "冲突"


def test_publishing_over_a_newer_version_opens_the_conflict_page(qtbot, hall, people):
    view = open_editor(hall, people["editor"])
    qtbot.addWidget(view)
    page = view.page("guide")
    page.select(DIBAO)
    page.form.fields["fees"].widget.setPlainText("不收费")
    head = EditorService(hall.cache, hall.events)  # the head publishes the same guide meanwhile
    other = head.load("guide", DIBAO)
    other.data["hours"] = "周六 9:00-12:00"
    head.publish(people["head"], other)
    qtbot.mouseClick(page.publish_button, LEFT)
    qtbot.waitUntil(lambda: view.tabs.currentWidget() is view.conflicts, timeout=5000)
    labels = [view.conflicts.table.item(r, 0).text() for r in range(view.conflicts.table.rowCount())]
    assert labels == ["收费标准", "办理时间"]
    view.conflicts.choose("fees", "mine")
    qtbot.mouseClick(view.conflicts.merge_button, LEFT)
    qtbot.waitUntil(lambda: "发布为第 3 版" in view.conflicts.message.text(), timeout=5000)
    shown = Catalog(hall.cache).guide(DIBAO)
    assert (shown.fees, shown.hours, shown.version) == ("不收费", "周六 9:00-12:00", 3)


def answer_unsaved(qtbot, monkeypatch, real_ask, button: str) -> list[str]:
    """The real modal question, answered by tapping `button` once it is on screen."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QPushButton

    import kiosk.ui.editor.window as window

    asked: list[str] = []

    def ask(parent, title):
        def click():
            box = QApplication.activeModalWidget()
            if box is None:
                QTimer.singleShot(20, click)
                return
            asked.append(box.text())
            qtbot.mouseClick(box.findChild(QPushButton, button), LEFT)

        QTimer.singleShot(0, click)
        return real_ask(parent, title)

    monkeypatch.setattr(window, "ask_unsaved", ask)
    return asked


def test_unsaved_edits_are_said_and_asked_about_before_they_could_be_lost(
        qtbot, hall, people, monkeypatch, _discard_unsaved_at_teardown):
    real_ask = _discard_unsaved_at_teardown
    editor = open_editor(hall, people["editor"])
    qtbot.addWidget(editor)
    editor.show()
    page = editor.page("guide")
    page.select(DIBAO)
    assert "已发布" in page.status.text() and "未保存" not in page.status.text()
    page.form.fields["hours"].widget.setText("周一至周六 9:00-17:00")
    qtbot.waitUntil(lambda: "有未保存的修改" in page.status.text(), timeout=1000)
    other = next(page.records.item(i) for i in range(page.records.count())
                 if page.records.item(i).data(Qt.ItemDataRole.UserRole) != DIBAO)
    other_uid = other.data(Qt.ItemDataRole.UserRole)

    asked = answer_unsaved(qtbot, monkeypatch, real_ask, "unsaved-stay")
    page.records.setCurrentItem(other)  # another record: asked; "stay" keeps the edit on screen
    assert asked and page.state.uid == DIBAO
    assert page.form.fields["hours"].widget.text() == "周一至周六 9:00-17:00"

    asked = answer_unsaved(qtbot, monkeypatch, real_ask, "unsaved-save")
    page.records.setCurrentItem(other)  # "save as draft": the draft is stored, then the other opens
    qtbot.waitUntil(lambda: page.state.uid == other_uid, timeout=5000)
    assert asked and "未保存" not in page.status.text()
    draft = EditorService(hall.cache).load("guide", DIBAO)
    assert draft.is_draft and draft.data["hours"] == "周一至周六 9:00-17:00"

    page.select(DIBAO)
    page.form.fields["hours"].widget.setText("周一 9:00-12:00")
    asked = answer_unsaved(qtbot, monkeypatch, real_ask, "unsaved-stay")
    assert not editor.close() and asked and editor.isVisible()  # leaving the editor asks too
    asked = answer_unsaved(qtbot, monkeypatch, real_ask, "unsaved-discard")
    assert editor.close() and asked
    assert EditorService(hall.cache).load("guide", DIBAO).data["hours"] == "周一至周六 9:00-17:00"


def test_publishing_while_the_cache_is_busy_keeps_the_window_alive(qtbot, hall, people):
    """A publish waits for the cache's write lock off the GUI thread: the page waits (its
    buttons disabled), says 正在发布…… after a moment, and shows the new version once it is free."""
    import threading

    from tests.sync.writelock import write_lock_held

    view = open_editor(hall, people["editor"])
    qtbot.addWidget(view)
    page = view.page("guide")
    page.select(DIBAO)
    page.form.fields["fees"].widget.setPlainText("不收费")
    ticks: list[threading.Thread] = []
    ticker = QTimer(view)
    ticker.timeout.connect(lambda: ticks.append(threading.current_thread()))
    ticker.start(20)
    with write_lock_held(hall.cache, busy_ms=5000):
        qtbot.mouseClick(page.publish_button, LEFT)
        assert not page.publish_button.isEnabled() and not page.save_button.isEnabled()
        qtbot.waitUntil(lambda: page.status.text() == "正在发布……", timeout=2000)
        qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=3000)  # the GUI thread goes on meanwhile
        assert Catalog(hall.cache).guide(DIBAO).version == 1
    qtbot.waitUntil(lambda: "已发布第 2 版" in page.status.text(), timeout=5000)
    assert page.publish_button.isEnabled() and set(ticks) == {threading.main_thread()}
