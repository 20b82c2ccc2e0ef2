"""Conflicts with the street office's copy: both versions side by side, and per field the
choice of keeping this hall's text or taking the office's. Nothing is overwritten until a
person presses one of the buttons; the choice is published off the GUI thread
(kiosk/ui/tasks.py), the buttons waiting for the answer."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.services.auth import StaffSession
from kiosk.services.editor import KIND_NAMES, ConflictInfo, EditorError, EditorService
from kiosk.ui.editor.forms import plain_label
from kiosk.ui.editor.history import ADDED, REMOVED
from kiosk.ui.tasks import SLOW_MS, tasks


def _side_text(change_lines: list[tuple[str, str]], side: str, fallback: str) -> str:
    if not change_lines:
        return fallback or "（空）"
    keep = "-" if side == "mine" else "+"
    return "\n".join(("● " if op == keep else "   ") + text for op, text in change_lines if op in (keep, " "))


class ConflictView(QWidget):
    resolved = Signal(int)  # the new version

    def __init__(self, service: EditorService, staff: StaffSession, tz: tzinfo | None = None):
        super().__init__()
        self.service = service
        self.staff = staff
        self.tz = tz  # the hall's time zone; None = this PC's
        self.conflicts: list[ConflictInfo] = []
        self.groups: list[tuple[str, QButtonGroup]] = []
        self.resolving = False  # a resolution on its way: the buttons wait for its answer
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.picker = QComboBox()
        self.picker.setObjectName("conflict_picker")
        self.picker.currentIndexChanged.connect(self._show)
        head.addWidget(plain_label("待处理的冲突：", wrap=False))
        head.addWidget(self.picker, 1)
        layout.addLayout(head)
        self.explain = plain_label()
        layout.addWidget(self.explain)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("conflict_table")
        self.table.setHorizontalHeaderLabels(["字段", "本站的版本（我的）", "街道办（最新）的版本", "采用"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(lambda *_a: self.table.resizeRowsToContents())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.mine_button = QPushButton("全部保留我的")
        self.office_button = QPushButton("全部采用街道办的")
        self.merge_button = QPushButton("按所选逐项合并并发布")
        for name, button, choice in (("btn_keep_mine", self.mine_button, "mine"),
                                     ("btn_take_office", self.office_button, "office"),
                                     ("btn_merge", self.merge_button, None)):
            button.setObjectName(name)
            button.clicked.connect(lambda _c=False, ch=choice: self._resolve(ch))
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = plain_label()
        layout.addWidget(self.message)
        self.reload()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        QTimer.singleShot(0, self.table, self.table.resizeRowsToContents)  # widths are final only once shown

    def reload(self) -> None:
        self.conflicts = self.service.open_conflicts()
        self.picker.blockSignals(True)
        self.picker.clear()
        for c in self.conflicts:
            self.picker.addItem(f"{KIND_NAMES.get(c.kind, c.kind)}：{c.title}（我的第 {c.local_version} 版 / "
                                f"街道办第 {c.office_version} 版）")
        self.picker.blockSignals(False)
        enabled = bool(self.conflicts)
        self._enable(enabled and not self.resolving)
        if not enabled:
            self.table.setRowCount(0)
            self.explain.setText("没有待处理的冲突。")
        else:
            self._show(0)

    def current(self) -> ConflictInfo | None:
        i = self.picker.currentIndex()
        return self.conflicts[i] if 0 <= i < len(self.conflicts) else None

    def _show(self, index: int) -> None:
        c = self.current()
        self.table.setRowCount(0)
        self.groups = []
        if c is None:
            return
        when = c.created_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        self.explain.setText(f"{when} 同步时，街道办的副本已更新到第 {c.office_version} 版，而本站的修改基于更早的版本。"
                             f"下表列出两边不同的 {len(c.changes)} 个字段，请逐项选择采用哪一边。")
        for change in c.changes:
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(change.label))
            mine = QTableWidgetItem(_side_text(change.lines, "mine", change.old))
            mine.setBackground(REMOVED)
            office = QTableWidgetItem(_side_text(change.lines, "office", change.new))
            office.setBackground(ADDED)
            self.table.setItem(row, 1, mine)
            self.table.setItem(row, 2, office)
            cell = QWidget()
            cl = QHBoxLayout(cell)
            cl.setContentsMargins(4, 0, 4, 0)
            group = QButtonGroup(cell)
            for side, text in (("mine", "我的"), ("office", "街道办")):
                radio = QRadioButton(text)
                radio.setObjectName(f"choice_{change.field}_{side}")
                radio.setProperty("side", side)
                group.addButton(radio)
                cl.addWidget(radio)
                radio.setChecked(side == "office")  # the office's copy is the default
            self.table.setCellWidget(row, 3, cell)
            self.groups.append((change.field, group))
        self.table.resizeRowsToContents()

    def choose(self, field: str, side: str) -> None:
        for key, group in self.groups:
            if key == field:
                for button in group.buttons():
                    button.setChecked(button.property("side") == side)

    def choices(self) -> dict[str, str]:
        return {key: group.checkedButton().property("side") for key, group in self.groups}

    def resolve(self, choice: str | None) -> None:
        """Apply a choice ("mine", "office", or None = per field as selected), off the GUI thread;
        the message line says the new version."""
        c = self.current()
        if c is None:
            raise EditorError("没有待处理的冲突 (no open conflict)")
        chosen = choice or self.choices()
        self.resolving = True
        self._enable(False)  # until the answer: one resolution per press
        QTimer.singleShot(SLOW_MS, self, lambda: self.resolving and self.message.setText("正在发布……"))

        def resolved(version: int) -> None:
            self.resolving = False
            self.reload()
            self.message.setText(f"已处理：“{c.title}”发布为第 {version} 版，并将发送给街道办。")
            self.resolved.emit(version)

        def failed(exc: BaseException) -> None:
            self.resolving = False
            self._enable(bool(self.conflicts))
            self.message.setText(str(exc) if isinstance(exc, EditorError) else f"未能发布，请稍后再试：{exc}")

        tasks().run(self.service.resolve_conflict, self.staff, c.id, chosen, owner=self).on_done(resolved) \
            .on_error(failed)

    def _enable(self, on: bool) -> None:
        for button in (self.mine_button, self.office_button, self.merge_button):
            button.setEnabled(on)

    def _resolve(self, choice: str | None) -> None:
        try:
            self.resolve(choice)
        except EditorError as exc:
            self.message.setText(str(exc))
