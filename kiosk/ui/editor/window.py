"""The content editor window: one tab per kind of record (guides, categories, notices, and for
the station head business types and windows) plus the conflicts tab.

Each record page: the list on the left; on the right the form (edit), the kiosk preview and
the history, with 保存草稿 / 发布 / 放弃草稿. Edits stay drafts until published.

Saving, publishing and discarding write the cache off the GUI thread (kiosk/ui/tasks.py): a
write can wait up to 10 s for the cache's write lock, and the window must not freeze meanwhile.
Until the answer the page's list, form and buttons are disabled (one write at a time, nothing
typed into a form that is being stored), and after a moment the status line says 正在发布…….
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.services.auth import ROLE_NAMES, StaffSession
from kiosk.services.editor import (
    KIND_NAMES,
    KIND_PERMISSION,
    EditorError,
    EditorService,
    EditState,
    StaleEdit,
    ValidationFailed,
)
from kiosk.ui.editor.conflict import ConflictView
from kiosk.ui.editor.forms import ERROR_STYLE, RecordForm, plain_label
from kiosk.ui.editor.history import HistoryView
from kiosk.ui.editor.preview import detail_from_data, make_preview
from kiosk.ui.tasks import SLOW_MS, tasks
from sync.problems import Invalid

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)

OK_STYLE = "color: #2e7d32;"
_BOX = "padding: 6px 10px; border-radius: 4px; font-size: 11pt;"
PROPOSAL_STYLES = {  # under a shared record's heading: where this hall's proposal stands
    "pending": f"background: #fff8e1; color: #8d6e00; {_BOX}",
    "accepted": f"background: #e8f5e9; color: #2e7d32; {_BOX}",
    "merged": f"background: #e8f5e9; color: #2e7d32; {_BOX}",
    "rejected": f"background: #ffebee; color: #c62828; {_BOX}",
}
UNSAVED_STYLE = "color: #b45309; font-weight: bold;"


def ask_unsaved(parent: QWidget, title: str) -> str:
    """"save", "discard" or "stay", asked in a modal box (buttons named for tests)."""
    box = QMessageBox(parent)
    box.setObjectName("unsaved-box")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("未保存的修改")
    box.setText(f"“{title}”有未保存的修改。")
    box.setInformativeText("保存为草稿（可稍后继续并发布）、放弃这些修改，还是留在这里继续编辑？")
    save = box.addButton("保存草稿", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("放弃修改", QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton("留在这里", QMessageBox.ButtonRole.RejectRole)
    for name, button in (("unsaved-save", save), ("unsaved-discard", discard), ("unsaved-stay", stay)):
        button.setObjectName(name)
    box.setDefaultButton(stay)
    box.setEscapeButton(stay)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "stay"


class RecordPage(QWidget):
    """List + form + preview + history for one kind of record."""

    conflict_opened = Signal()

    def __init__(self, service: EditorService, staff: StaffSession, kind: str, tz: tzinfo | None = None,
                 hall: Hall | None = None):
        super().__init__()
        self.service = service
        self.staff = staff
        self.kind = kind
        self.state: EditState | None = None
        self.choices = service.choices()
        layout = QHBoxLayout(self)
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("筛选：输入名称中的字")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        ll.addWidget(self.filter)
        self.records = QListWidget()
        self.records.setObjectName(f"records_{kind}")
        self.records.currentItemChanged.connect(self._record_chosen)
        ll.addWidget(self.records)
        self.new_button = QPushButton(f"新建{KIND_NAMES[kind]}")
        self.new_button.setObjectName("btn_new")
        self.new_button.clicked.connect(self.new_record)
        ll.addWidget(self.new_button)
        split.addWidget(left)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.heading = plain_label()
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        rl.addWidget(self.heading)
        # Where this hall's last edit of a shared record stands at the office (hidden if none).
        self.proposal = plain_label()
        self.proposal.setObjectName("proposal_state")
        self.proposal.hide()
        rl.addWidget(self.proposal)
        self.views = QTabWidget()
        self.form = RecordForm(kind, self.choices)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.views.addTab(scroll, "编辑")
        self.hall = hall
        self.preview: Any = None  # KioskPreview or GuidePreview, built when first shown
        self.preview_tab: QWidget | None = None
        if kind == "guide":
            self.preview_tab = QWidget()
            QVBoxLayout(self.preview_tab).setContentsMargins(0, 0, 0, 0)
            self.views.addTab(self.preview_tab, "预览（居民看到的样子）")
        self.history = HistoryView(service, staff, tz)
        self.history.restored.connect(self._after_restore)
        self.views.addTab(self.history, "修改历史")
        self.views.currentChanged.connect(self._view_changed)
        # Once problems are shown, re-check as the person types so a fixed field clears at once.
        self.live_check = False
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(300)
        self._check_timer.timeout.connect(self.recheck)
        self.form.changed.connect(lambda: self.live_check and self._check_timer.start())
        # What the form held when the record was opened or saved: anything else is unsaved work,
        # said on the status line and asked about before it could be lost.
        self._loaded: Any = None
        self._status_text = ""
        self.unsaved = False
        # checked once the event that changed the form is over (a table row is built in steps)
        self._unsaved_timer = QTimer(self)
        self._unsaved_timer.setSingleShot(True)
        self._unsaved_timer.setInterval(0)
        self._unsaved_timer.timeout.connect(self._form_changed)
        self.form.changed.connect(self._unsaved_timer.start)
        # A write on its way (kiosk/ui/tasks.py): what the status line says after a moment.
        self.writing = ""
        self._slow = QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.setInterval(SLOW_MS)
        self._slow.timeout.connect(lambda: self.writing and self._say(self.writing))
        rl.addWidget(self.views, 1)

        bar = QHBoxLayout()
        self.status = plain_label()
        bar.addWidget(self.status, 1)
        self.discard_button = QPushButton("放弃草稿")
        self.save_button = QPushButton("保存草稿")
        self.publish_button = QPushButton("发布")
        self.publish_button.setStyleSheet("font-weight: bold; padding: 6px 22px;")
        for name, button, slot in (("btn_discard", self.discard_button, self.discard),
                                   ("btn_save", self.save_button, self.save_draft),
                                   ("btn_publish", self.publish_button, self.publish)):
            button.setObjectName(name)
            button.clicked.connect(lambda _c=False, s=slot: self._guarded(s))
            bar.addWidget(button)
        rl.addLayout(bar)
        split.addWidget(right)
        split.setSizes([320, 1100])
        layout.addWidget(split)
        self.reload_list()

    # list

    def reload_list(self, select_uid: str | None = None, *, reopen: bool = True) -> None:
        """Re-read the list; `reopen=False` keeps the form as it is (unsaved typing survives)."""
        select_uid = select_uid or (self.state.uid if self.state else None)
        self.records.blockSignals(True)
        self.records.clear()
        chosen = None
        for rec in self.service.list_records(self.kind):
            mark = "（草稿）" if rec.has_draft else ""
            item = QListWidgetItem(f"{rec.title}{mark} · 第{rec.version}版" if rec.version else f"{rec.title}{mark}")
            item.setData(Qt.ItemDataRole.UserRole, rec.uid)
            self.records.addItem(item)
            if rec.uid == select_uid:
                chosen = item
        if chosen is not None and not reopen:
            self.records.setCurrentItem(chosen)
        self.records.blockSignals(False)
        self._apply_filter(self.filter.text())
        if chosen is not None and reopen:
            self.records.setCurrentItem(chosen)
        elif self.records.count() and self.state is None:
            self.records.setCurrentRow(0)

    def _apply_filter(self, text: str) -> None:
        text = text.strip()
        for i in range(self.records.count()):
            item = self.records.item(i)
            item.setHidden(bool(text) and text not in item.text())

    def select(self, uid: str) -> None:
        for i in range(self.records.count()):
            if self.records.item(i).data(Qt.ItemDataRole.UserRole) == uid:
                self.records.setCurrentRow(i)
                return
        raise EditorError(f"列表中没有 {uid}")

    def _record_chosen(self, item: QListWidgetItem | None, previous: Any = None) -> None:
        if item is None:
            return
        uid = item.data(Qt.ItemDataRole.UserRole)
        if self.unsaved and self.state is not None and uid != self.state.uid:
            # stay, or a draft being saved: the list points at the record being edited again;
            # once the draft is stored (and the list re-read), the record chosen opens
            if not self.resolve_unsaved(then=lambda: self.select(uid)):
                self.records.blockSignals(True)
                self.records.setCurrentItem(previous)
                self.records.blockSignals(False)
                return
        self.open(self.service.load(self.kind, uid))

    # unsaved changes

    def _snapshot(self) -> Any:
        lead = self.form.lead_guides.value() if self.kind == "business_type" else None
        return self.form.data(), lead

    def _form_changed(self) -> None:
        if self.state is None or self._loaded is None:
            return
        self._unsaved_timer.stop()
        unsaved = self._snapshot() != self._loaded
        if unsaved != self.unsaved:
            self.unsaved = unsaved
            self.status.setStyleSheet(UNSAVED_STYLE if unsaved else "")
            self.status.setText(f"{self._status_text} · 有未保存的修改" if unsaved else self._status_text)

    def resolve_unsaved(self, then: Callable[[], None] = lambda: None) -> bool:
        """Before the form's content could be lost: save it as a draft, discard it, or stay.
        True when it is safe to go on now. "Save" stores the draft off the GUI thread: False
        now, and `then()` once the draft is stored (not if that fails: the page says why)."""
        self._form_changed()  # a change made this very moment counts too
        if not self.unsaved or self.state is None:
            return True
        answer = ask_unsaved(self, self._title(self.state))
        if answer == "save":
            self._guarded(lambda: self.save_draft(then=then))
        elif answer == "discard":
            self.unsaved = False
            return True
        return False

    def open(self, state: EditState) -> None:
        self.state = state
        data = dict(state.data)
        self.form.set_data(data)
        if self.kind == "business_type":
            guides = [(s.uid, s.title) for s in self.service.list_records("guide") if s.version]
            leading = self.service.guides_leading_to(data.get("code", "")) if data.get("code") else []
            self.form.lead_guides.set_choices(guides, leading, show_key=False)
        title = self._title(state)
        self.heading.setText(title)
        draft = f"草稿（{state.draft_author} 保存）" if state.is_draft else "已发布"
        self.status.setStyleSheet("")
        self._status_text = f"{draft} · 基于第 {state.base_version} 版" if state.base_version else "新建，尚未发布"
        self.status.setText(self._status_text)
        self.history.load(self.kind, state.uid if state.base_version else "", title)
        self._show_proposal(state)
        self.live_check = state.is_draft
        if state.is_draft:  # show what still needs fixing in a saved draft
            self.form.show_errors(self.service.validate(self.kind, state.data))
        self._view_changed(self.views.currentIndex())
        self._loaded, self.unsaved = self._snapshot(), False

    def _show_proposal(self, state: EditState) -> None:
        where, line = self.service.proposal_note(self.kind, state.uid) if state.base_version else ("", "")
        self.proposal.setText(line)
        self.proposal.setStyleSheet(PROPOSAL_STYLES.get(where, ""))
        self.proposal.setVisible(bool(line))

    def recheck(self) -> int:
        """Validate the form as it is now and show the messages; returns how many fields have one."""
        return self.form.show_errors(self.service.validate(self.kind, self.form.data()))

    def _title(self, state: EditState) -> str:
        from kiosk.services.editor import record_title

        return record_title(self.kind, state.data) or f"新{KIND_NAMES[self.kind]}"

    def new_record(self) -> None:
        if not self.resolve_unsaved(then=self.new_record):
            return
        self.records.clearSelection()
        self.open(self.service.new_record(self.kind))
        self.views.setCurrentIndex(0)

    # actions

    def _guarded(self, action: Any) -> None:
        try:
            action()
        except EditorError as exc:  # e.g. nothing open yet
            self._failed(exc)

    def _write(self, busy: str, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None],
               **kwargs: Any) -> None:
        """`fn(*args, **kwargs)` (a write of the editor service) off the GUI thread; `done(result)`
        on its answer, or the failure said on the status line. The page waits meanwhile."""
        self._set_writing(busy)
        tasks().run(fn, *args, owner=self, **kwargs).on_done(lambda result: self._answered(done, result)) \
            .on_error(lambda exc: self._answered(self._failed, exc))

    def _answered(self, then: Callable[[Any], None], answer: Any) -> None:
        self._set_writing("")
        then(answer)

    def _set_writing(self, busy: str) -> None:
        """Disable the list, the form and the buttons while a write is on its way (`busy`)."""
        if busy:
            self._form_changed()  # the change typed just before the press is said now, not over the answer
        self.writing = busy
        for widget in (self.records, self.new_button, self.form, self.discard_button, self.save_button,
                       self.publish_button, self.history):
            widget.setEnabled(not busy)
        if busy:
            self._slow.start()
        else:
            self._slow.stop()

    def _failed(self, exc: BaseException) -> None:
        """A write refused or failed: say why, worded as the service words it."""
        if isinstance(exc, StaleEdit) and self.state is not None:
            # Someone (usually the office, via sync) published meanwhile: let the person choose
            # field by field on the conflict page rather than lose either edit.
            uid = self.state.uid

            def opened(_conflict_id: int) -> None:
                self.state = None
                self.reload_list(uid)
                self._say(f"{exc}\n已转入“冲突”页，请逐项选择保留哪一边。", error=True)
                self.conflict_opened.emit()

            self._write("正在转入冲突页……", self.service.stale_to_conflict, self.staff, self._copy_of_state(),
                        done=opened)
        elif isinstance(exc, ValidationFailed):
            self.live_check = True
            n = self.form.show_errors(exc.errors)
            self._say(f"有 {n} 处需要修改，见各字段下方的红字说明，未发布", error=True)
        elif isinstance(exc, EditorError):
            self._say(str(exc), error=True)
        else:  # the cache itself failed (a lock held too long, a full disk): nothing was stored
            log.error("the editor could not write the cache", exc_info=exc)
            self._say(f"未能保存，请稍后再试：{exc}", error=True)

    def _copy_of_state(self) -> EditState:
        """What the form holds now, as a copy for the worker thread (the service updates it)."""
        state = self.current_state()
        return EditState(state.kind, state.uid, copy.deepcopy(state.data), state.base_version, state.is_draft,
                         state.draft_author)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
        self.status.setText(text)

    def current_state(self) -> EditState:
        if self.state is None:
            raise EditorError("请先选择或新建一条记录 (nothing open)")
        self.state.data = self.form.data()
        return self.state

    def save_draft(self, then: Callable[[], None] = lambda: None) -> None:
        """Store the form as a draft (off the GUI thread); then say what still needs fixing, and `then()`."""
        state = self._copy_of_state()

        def saved(errors: dict[str, Invalid]) -> None:
            self.live_check = True
            n = self.form.show_errors(errors)
            self._say("草稿已保存" + (f"；发布前还有 {n} 处需要修改" if n else "；可以发布"), error=bool(n))
            self.reload_list(state.uid)
            then()

        self._write("正在保存草稿……", self.service.save_draft, self.staff, state, done=saved)

    def publish(self) -> None:
        """Validate and publish the form (off the GUI thread); the status line says the new version."""
        state = self._copy_of_state()
        lead = self.form.lead_guides.value() if self.kind == "business_type" else None

        def published(version: int) -> None:
            self.form.show_errors({})
            self.reload_list(state.uid, reopen=False)
            self.open(self.service.load(self.kind, state.uid))
            self._say(f"已发布第 {version} 版：自助机已更新，并已放入发往街道办的同步队列")

        self._write("正在发布……", self.service.publish, self.staff, state, lead_guides=lead, done=published)

    def discard(self) -> None:
        if self.state is None or not self.state.is_draft:
            return
        uid = self.state.uid

        def discarded(_none: None) -> None:
            self.unsaved = False
            self.state = None
            self.reload_list(uid)
            if self.state is None:
                self.form.set_data({})
                self.heading.setText("")
            self._say("草稿已放弃")

        self._write("正在放弃草稿……", self.service.discard_draft, self.staff, self.kind, uid, done=discarded)

    def _after_restore(self, version: int) -> None:
        if self.state is not None:
            uid = self.state.uid
            self.state = None
            self.reload_list(uid)
            self._say(f"已恢复为第 {version} 版并发布")

    def _view_changed(self, index: int) -> None:
        if self.preview_tab is None or self.views.widget(index) is not self.preview_tab or self.state is None:
            return
        if self.preview is None:  # the kiosk screen is heavy: build it only when someone looks
            self.preview = make_preview(self.hall)
            self.preview_tab.layout().addWidget(self.preview)
        self.preview.show_guide(detail_from_data(self.form.data(), self.choices, self.state.base_version))

    def show_preview(self) -> Any:
        assert self.preview_tab is not None
        self.views.setCurrentWidget(self.preview_tab)
        return self.preview

    def show_history(self) -> HistoryView:
        self.views.setCurrentWidget(self.history)
        return self.history


class EditorWindow(QWidget):
    """The whole editor for one signed-in staff member."""

    closed = Signal()  # the window really closed (the hall's kiosk locks itself again)

    def __init__(self, service: EditorService, staff: StaffSession, tz: tzinfo | None = None,
                 hall: Hall | None = None):
        super().__init__()
        self.service = service
        self.staff = staff
        self.setWindowTitle(f"一站 · 内容编辑 · {staff.name}")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        who = plain_label(f"内容编辑 · {staff.name}（{ROLE_NAMES.get(staff.role, staff.role)}）", wrap=False)
        who.setStyleSheet("font-size: 16pt; font-weight: bold;")
        top.addWidget(who)
        top.addStretch(1)
        close = QPushButton("退出编辑")
        close.setObjectName("btn_close")
        close.clicked.connect(self.close)
        top.addWidget(close)
        layout.addLayout(top)
        self.tabs = QTabWidget()
        self.pages: dict[str, RecordPage] = {}
        self.conflicts: ConflictView | None = None
        self.follow_ups: Any = None  # the head's 差评回访 tab
        if not staff.can("content"):
            notice = plain_label(f"{ROLE_NAMES.get(staff.role, staff.role)}没有编辑内容的权限，请联系站长。")
            notice.setObjectName("no_permission")
            notice.setStyleSheet("font-size: 16pt; padding: 40px;")
            layout.addWidget(notice, 1)
            return
        for kind in ("guide", "category", "notice", "business_type", "window"):
            if staff.can(KIND_PERMISSION[kind]):
                page = RecordPage(service, staff, kind, tz, hall if kind == "guide" else None)
                page.conflict_opened.connect(self.show_conflicts)
                self.pages[kind] = page
                self.tabs.addTab(page, KIND_NAMES[kind])
        self.conflicts = ConflictView(service, staff, tz)
        self.conflicts.resolved.connect(lambda _v: self.refresh())
        self.tabs.addTab(self.conflicts, "")
        self._label_conflicts()
        if staff.role == "head":  # the station head: this hall's 差评 follow-ups from the office
            from kiosk.ui.rating.follow_ups import FollowUpView

            self.follow_ups = FollowUpView(service.cache, tz)
            self.tabs.addTab(self.follow_ups, "差评回访")
        layout.addWidget(self.tabs, 1)

    def _label_conflicts(self) -> None:
        n = len(self.conflicts.conflicts) if self.conflicts else 0
        index = self.tabs.indexOf(self.conflicts)
        self.tabs.setTabText(index, f"冲突（{n}）" if n else "冲突")

    def refresh(self) -> None:
        """Re-read lists and conflicts (after a sync brought new content or conflicts)."""
        for page in self.pages.values():
            page.reload_list(reopen=False)
        if self.conflicts is not None:
            self.conflicts.reload()
            self._label_conflicts()
        if self.follow_ups is not None:
            self.follow_ups.reload()

    def page(self, kind: str) -> RecordPage:
        page = self.pages[kind]
        self.tabs.setCurrentWidget(page)
        return page

    def show_conflicts(self) -> ConflictView:
        assert self.conflicts is not None
        self.conflicts.reload()
        self._label_conflicts()
        self.tabs.setCurrentWidget(self.conflicts)
        return self.conflicts

    def closeEvent(self, event: QCloseEvent) -> None:
        for page in self.pages.values():
            page._form_changed()  # a change made this very moment counts too
            if page.unsaved:
                self.tabs.setCurrentWidget(page)
                if not page.resolve_unsaved(then=self.close):  # (closes once a draft is stored)
                    event.ignore()
                    return
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()
