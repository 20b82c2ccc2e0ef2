"""History of one record: every published version, who and when, a field-by-field diff, and
restore (which publishes the old data again as a new version). The restore writes the cache
off the GUI thread (kiosk/ui/tasks.py); its button waits for the answer."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.services.auth import StaffSession
from kiosk.services.editor import EditorError, EditorService, FieldChange, Revision
from kiosk.ui.editor.forms import plain_label
from kiosk.ui.tasks import SLOW_MS, tasks

ACTION_NAMES = {"publish": "发布", "restore": "恢复", "import": "导入或同步的版本", "office": "街道办版本",
                "resolve_conflict": "处理冲突"}
ADDED = QColor("#e3f4e1")
REMOVED = QColor("#fbe3e1")


def change_table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    for i in range(1, len(columns)):
        header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
    # Wrapped text needs the final column widths to know its height.
    header.sectionResized.connect(lambda *_a: table.resizeRowsToContents())
    return table


def _cell(text: str, color: QColor | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)  # table items are always plain text
    if color is not None:
        item.setBackground(color)
    return item


def fill_changes(table: QTableWidget, changes: list[FieldChange]) -> None:
    """One row per changed field: old | new; list fields show removed/added lines marked − / +."""
    table.setRowCount(0)
    for change in changes:
        row = table.rowCount()
        table.insertRow(row)
        table.setItem(row, 0, _cell(change.label))
        if change.lines:  # lists: only the items that went or came, so a change stands out
            old = "\n".join("− " + text for op, text in change.lines if op == "-") or "（无删除）"
            new = "\n".join("+ " + text for op, text in change.lines if op == "+") or "（无新增）"
        else:
            old, new = change.old or "（空）", change.new or "（空）"
        table.setItem(row, 1, _cell(old, REMOVED if change.old else None))
        table.setItem(row, 2, _cell(new, ADDED if change.new else None))
    table.resizeRowsToContents()


class HistoryView(QWidget):
    restored = Signal(int)

    def __init__(self, service: EditorService, staff: StaffSession, tz: tzinfo | None = None):
        super().__init__()
        self.service = service
        self.staff = staff
        self.tz = tz  # the hall's time zone; None = this PC's
        self.kind = ""
        self.uid = ""
        self.revisions: list[Revision] = []
        self.restoring = False  # a restore on its way
        layout = QVBoxLayout(self)
        self.title = plain_label()
        self.title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        layout.addWidget(self.title)
        split = QSplitter()
        self.versions = QListWidget()
        self.versions.setObjectName("history_versions")
        self.versions.currentRowChanged.connect(self._show_version)
        split.addWidget(self.versions)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.summary = plain_label()
        rl.addWidget(self.summary)
        self.table = change_table(["字段", "修改前", "修改后"])
        self.table.setObjectName("history_diff")
        rl.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.restore_button = QPushButton("恢复为此版本（作为新版本发布）")
        self.restore_button.setObjectName("btn_restore")
        self.restore_button.clicked.connect(self._restore_clicked)
        buttons.addWidget(self.restore_button)
        rl.addLayout(buttons)
        self.message = plain_label()
        rl.addWidget(self.message)
        split.addWidget(right)
        split.setSizes([300, 900])
        layout.addWidget(split, 1)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        QTimer.singleShot(0, self.table, self.table.resizeRowsToContents)  # widths are final only once shown

    def load(self, kind: str, uid: str, title: str = "") -> None:
        self.kind, self.uid = kind, uid
        self.title.setText(f"修改历史：{title}")
        self.revisions = self.service.history(kind, uid) if uid else []
        self.versions.clear()
        for rev in self.revisions:
            when = rev.created_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
            who = rev.author or "—"
            self.versions.addItem(QListWidgetItem(f"第 {rev.version} 版 · {ACTION_NAMES.get(rev.action, rev.action)}"
                                                  f"\n{who} · {when}"))
        self.message.setText("" if self.revisions else "尚未发布过 (not published yet)")
        if self.revisions:
            self.versions.setCurrentRow(0)
        else:
            self.table.setRowCount(0)

    def select_version(self, version: int) -> None:
        for i, rev in enumerate(self.revisions):
            if rev.version == version:
                self.versions.setCurrentRow(i)

    def _show_version(self, row: int) -> None:
        if not 0 <= row < len(self.revisions):
            return
        rev = self.revisions[row]
        changes = self.service.diff_versions(self.kind, self.uid, rev.version)
        fields = "、".join(c.label for c in changes) or "无变化"
        self.summary.setText(f"第 {rev.version} 版由 {rev.author or '—'} "
                             f"{ACTION_NAMES.get(rev.action, rev.action)}，改动：{fields}")
        fill_changes(self.table, changes)
        self.restore_button.setEnabled(row > 0)  # the newest one is what is shown already

    def current_version(self) -> int | None:
        row = self.versions.currentRow()
        return self.revisions[row].version if 0 <= row < len(self.revisions) else None

    def restore_selected(self) -> None:
        """Publish the chosen version again (off the GUI thread); the message line says the new version."""
        version = self.current_version()
        if version is None:
            raise EditorError("请先选择一个版本 (choose a version)")
        kind, uid = self.kind, self.uid
        self.restore_button.setEnabled(False)  # until the answer: one restore per press
        self.restoring = True
        QTimer.singleShot(SLOW_MS, self, lambda: self.restoring and self.message.setText("正在恢复……"))

        def restored(new_version: int) -> None:
            self.restoring = False
            self.load(kind, uid, self.title.text().removeprefix("修改历史："))
            self.restored.emit(new_version)  # the page reloads (and may reload this view) first
            self.message.setText(f"已将第 {version} 版恢复为第 {new_version} 版并发布")

        def failed(exc: BaseException) -> None:
            self.restoring = False
            self.restore_button.setEnabled(True)
            self.message.setText(str(exc) if isinstance(exc, EditorError) else f"未能恢复，请稍后再试：{exc}")

        tasks().run(self.service.restore, self.staff, kind, uid, version, owner=self).on_done(restored) \
            .on_error(failed)

    def _restore_clicked(self) -> None:
        version = self.current_version()
        if version is None:
            return
        ask = QMessageBox(QMessageBox.Icon.Question, "恢复版本", f"把第 {version} 版的内容作为新版本发布？",
                          parent=self)
        restore = ask.addButton("恢复并发布", QMessageBox.ButtonRole.AcceptRole)  # not Qt's English Yes/No
        ask.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        ask.exec()
        if ask.clickedButton() is not restore:
            return
        try:
            self.restore_selected()
        except EditorError as exc:
            self.message.setText(str(exc))

    def row_texts(self) -> list[tuple[str, str, str]]:
        t = self.table
        return [(t.item(r, 0).text(), t.item(r, 1).text(), t.item(r, 2).text()) for r in range(t.rowCount())]

