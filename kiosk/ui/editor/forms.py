"""Form building blocks for the content editor: a field with its error message next to it,
structured list editors (materials table, reorderable steps, FAQs) and the per-kind forms.

Everything a staff member typed is shown back as plain text (Qt.PlainText), never rich text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.services.editor import FIELD_LABELS, FORM_NAMES
from sync.problems import Invalid

ERROR_STYLE = "color: #c62828; font-size: 10pt;"
EDITOR_LANGUAGE = "zh_CN"  # the editor's screens are Chinese; its problems are worded in it


def plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """A label that never interprets its text as HTML."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setText(text)
    return label


def _row_text(path: list[str], what: str) -> str:
    """'0.name' -> '第1行 名称' for list errors."""
    if not path:
        return ""
    head = f"第{int(path[0]) + 1}{what}" if path[0].isdigit() else path[0]
    return head + (" " + " ".join(path[1:]) if len(path) > 1 else "")


# --- list editors ------------------------------------------------------------------------------


class _ListButtons(QWidget):
    def __init__(self, names: list[tuple[str, str]], owner: Any):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for key, text in names:
            button = QPushButton(text)
            button.setObjectName(f"btn_{key}")
            button.clicked.connect(getattr(owner, key))
            layout.addWidget(button)
            self.buttons[key] = button
        layout.addStretch(1)


class MaterialsEditor(QWidget):
    """申请材料: rows of name, copies, original/copy, notes; rows can be added, removed, moved."""

    changed = Signal()
    COLUMNS = ["材料名称", "份数", "原件/复印件", "备注"]

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 70)
        self.table.setColumnWidth(2, 130)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(250)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.table)
        self.buttons = _ListButtons([("add_row", "添加材料"), ("remove_row", "删除"), ("move_up", "上移"),
                                     ("move_down", "下移")], self)
        layout.addWidget(self.buttons)

    def add_row(self, material: dict[str, Any] | None = None) -> int:
        material = material or {}
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(str(material.get("name", ""))))
        copies = QSpinBox()
        copies.setRange(1, 99)
        copies.setValue(int(material.get("copies", 1) or 1))
        copies.valueChanged.connect(lambda _v: self.changed.emit())
        self.table.setCellWidget(row, 1, copies)
        form = QComboBox()
        for code, name in FORM_NAMES.items():
            form.addItem(name, code)
        form.setCurrentIndex(max(0, form.findData(material.get("form", "original"))))
        form.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.table.setCellWidget(row, 2, form)
        self.table.setItem(row, 3, QTableWidgetItem(str(material.get("notes", ""))))
        self.table.setCurrentCell(row, 0)
        self.changed.emit()
        return row

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.changed.emit()

    def _swap(self, delta: int) -> None:
        row = self.table.currentRow()
        other = row + delta
        if row < 0 or not 0 <= other < self.table.rowCount():
            return
        values = self.value()
        values[row], values[other] = values[other], values[row]
        self.set_value(values)
        self.table.setCurrentCell(other, 0)
        self.changed.emit()

    def move_up(self) -> None:
        self._swap(-1)

    def move_down(self) -> None:
        self._swap(1)

    def set_value(self, materials: list[dict[str, Any]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for material in materials or []:
            self.add_row(material)
        self.table.blockSignals(False)

    def value(self) -> list[dict[str, Any]]:
        out = []
        for row in range(self.table.rowCount()):
            name = self.table.item(row, 0)
            notes = self.table.item(row, 3)
            out.append({
                "name": name.text() if name else "",
                "copies": self.table.cellWidget(row, 1).value(),
                "form": self.table.cellWidget(row, 2).currentData(),
                "notes": notes.text() if notes else "",
            })
        return out

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type into a cell (used by tests and screenshots as a person would)."""
        self.table.item(row, column).setText(text)

    def describe(self, path: list[str]) -> str:
        names = {"name": "材料名称", "copies": "份数", "form": "原件/复印件", "notes": "备注"}
        return _row_text([names.get(p, p) for p in path], "行")


class StepsEditor(QWidget):
    """办理流程: ordered steps; drag to reorder or use 上移/下移; double-click to edit."""

    changed = Signal()

    def __init__(self, item_name: str = "步骤") -> None:
        super().__init__()
        self.item_name = item_name
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setMinimumHeight(150)
        self.list.model().rowsMoved.connect(lambda *_a: self._renumber())
        self.list.itemChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.list)
        self.buttons = _ListButtons([("add_step", f"添加{item_name}"), ("remove_step", "删除"),
                                     ("move_up", "上移"), ("move_down", "下移")], self)
        layout.addWidget(self.buttons)

    def _renumber(self) -> None:
        self.changed.emit()

    def add_step(self, text: str = "") -> int:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.list.addItem(item)
        self.list.setCurrentItem(item)
        if not text and self.isVisible():
            self.list.editItem(item)
        self.changed.emit()
        return self.list.count() - 1

    def remove_step(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.changed.emit()

    def _move(self, delta: int) -> None:
        row = self.list.currentRow()
        other = row + delta
        if row < 0 or not 0 <= other < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(other, item)
        self.list.setCurrentRow(other)
        self.changed.emit()

    def move_up(self) -> None:
        self._move(-1)

    def move_down(self) -> None:
        self._move(1)

    def set_value(self, steps: list[str]) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for step in steps or []:
            self.add_step(step)
        self.list.blockSignals(False)

    def value(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def describe(self, path: list[str]) -> str:
        return f"第{int(path[0]) + 1}{self.item_name}" if path and path[0].isdigit() else ""


class FaqEditor(QWidget):
    """常见问题: question / answer rows."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["问题", "回答"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(120)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.table)
        self.buttons = _ListButtons([("add_row", "添加问答"), ("remove_row", "删除")], self)
        layout.addWidget(self.buttons)

    def add_row(self, faq: dict[str, str] | None = None) -> None:
        faq = faq or {}
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(faq.get("q", "")))
        self.table.setItem(row, 1, QTableWidgetItem(faq.get("a", "")))
        self.changed.emit()

    def remove_row(self) -> None:
        if self.table.currentRow() >= 0:
            self.table.removeRow(self.table.currentRow())
            self.changed.emit()

    def set_value(self, faqs: list[dict[str, str]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for faq in faqs or []:
            self.add_row(faq)
        self.table.blockSignals(False)

    def value(self) -> list[dict[str, str]]:
        return [{"q": self.table.item(r, 0).text(), "a": self.table.item(r, 1).text()}
                for r in range(self.table.rowCount())]

    def describe(self, path: list[str]) -> str:
        return _row_text([{"q": "问题", "a": "回答"}.get(p, p) for p in path], "条")


class CheckList(QWidget):
    """Pick items from a list, in order (window businesses, guides leading to a business)."""

    changed = Signal()

    def __init__(self, orderable: bool = False) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setMinimumHeight(140)
        self.list.itemChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.list)
        if orderable:
            self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
            layout.addWidget(_ListButtons([("move_up", "上移"), ("move_down", "下移")], self))

    def set_choices(self, choices: list[tuple[str, str]], selected: list[str], *, show_key: bool = True) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        order = {code: i for i, code in enumerate(selected)}
        ranked = sorted(choices, key=lambda c: (c[0] not in order, order.get(c[0], 0)))
        for code, name in ranked:
            item = QListWidgetItem(f"{name}（{code}）" if name and show_key else name or code)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in order else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)

    def value(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def set_checked(self, code: str, checked: bool) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == code:
                self.list.item(i).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _move(self, delta: int) -> None:
        row = self.list.currentRow()
        if row < 0 or not 0 <= row + delta < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(row + delta, item)
        self.list.setCurrentRow(row + delta)
        self.changed.emit()

    def move_up(self) -> None:
        self._move(-1)

    def move_down(self) -> None:
        self._move(1)

    def describe(self, path: list[str]) -> str:
        return f"第{int(path[0]) + 1}项" if path and path[0].isdigit() else ""


# --- the form ----------------------------------------------------------------------------------


class Field:
    """One editable field: its widget, how to read and fill it, and its error label."""

    def __init__(self, key: str, widget: QWidget, get: Callable[[], Any], set_: Callable[[Any], None]):
        self.key = key
        self.widget = widget
        self.get = get
        self.set = set_
        self.error = plain_label()
        self.error.setObjectName(f"error_{key}")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()


class RecordForm(QWidget):
    """A form for one kind of record; `data()` gives back the record data shape."""

    changed = Signal()

    def __init__(self, kind: str, choices: dict[str, list[tuple[str, str]]] | None = None):
        super().__init__()
        self.kind = kind
        self.choices = choices or {}
        self.labels = FIELD_LABELS[kind]
        self.fields: dict[str, Field] = {}
        self._extra: dict[str, Any] = {}  # fields the form does not show (uid) pass through
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(2)
        self.record_error = plain_label()
        self.record_error.setObjectName("error_record")
        self.record_error.setStyleSheet(ERROR_STYLE)
        self.record_error.hide()
        self.grid.addWidget(self.record_error, 0, 0, 1, 2)
        self._row = 1
        self.build()

    # field factories
    def add(self, key: str, widget: QWidget, get: Callable[[], Any], set_: Callable[[Any], None],
            required: bool = False) -> Field:
        f = Field(key, widget, get, set_)
        widget.setObjectName(f"field_{key}")
        label = plain_label(self.labels.get(key, key) + (" *" if required else ""), wrap=False)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.grid.addWidget(label, self._row, 0)
        self.grid.addWidget(widget, self._row, 1)
        self.grid.addWidget(f.error, self._row + 1, 1)
        self._row += 2
        self.fields[key] = f
        return f

    def line(self, key: str, required: bool = False, max_length: int = 200) -> Field:
        w = QLineEdit()
        w.setMaxLength(max(max_length, 1) * 2)  # a little slack so the validator names the problem
        w.textChanged.connect(lambda _t: self.changed.emit())
        return self.add(key, w, w.text, lambda v: w.setText("" if v is None else str(v)), required)

    def text(self, key: str, required: bool = False, height: int = 70) -> Field:
        w = QPlainTextEdit()
        w.setFixedHeight(height)
        w.textChanged.connect(self.changed.emit)
        return self.add(key, w, w.toPlainText, lambda v: w.setPlainText("" if v is None else str(v)), required)

    def number(self, key: str, low: int, high: int) -> Field:
        w = QSpinBox()
        w.setRange(low, high)
        w.valueChanged.connect(lambda _v: self.changed.emit())
        return self.add(key, w, w.value, lambda v: w.setValue(int(v or 0)), True)

    def date(self, key: str) -> Field:
        w = QDateEdit()
        w.setCalendarPopup(True)
        w.setDisplayFormat("yyyy-MM-dd")
        w.dateChanged.connect(lambda _d: self.changed.emit())
        return self.add(key, w, lambda: w.date().toString("yyyy-MM-dd"),
                        lambda v: w.setDate(QDate.fromString(str(v), "yyyy-MM-dd")), True)

    def combo(self, key: str, choices: list[tuple[str, str]], allow_none: bool = False) -> Field:
        w = QComboBox()
        if allow_none:
            w.addItem("（不取号）", None)
        for code, name in choices:
            w.addItem(f"{name}（{code}）", code)

        def set_(v: Any) -> None:
            index = w.findData(v)
            if index < 0 and v:  # a code the pickers do not know: keep it visible, the validator names it
                w.addItem(str(v), v)
                index = w.count() - 1
            w.setCurrentIndex(max(index, 0))

        w.currentIndexChanged.connect(lambda _i: self.changed.emit())
        return self.add(key, w, w.currentData, set_, not allow_none)

    def custom(self, key: str, editor: Any, required: bool = False) -> Field:
        editor.changed.connect(self.changed.emit)
        return self.add(key, editor, editor.value, editor.set_value, required)

    def build(self) -> None:
        kind = self.kind
        if kind == "guide":
            self.line("name", True, 100)
            self.line("code", True, 40)
            self.combo("category", self.choices.get("category", []))
            self.combo("business", self.choices.get("business", []), allow_none=True)
            self.line("name_en", False, 200)
            self.line("authority", True)
            self.text("legal_basis", True)
            self.text("conditions", True, 90)
            self.materials = MaterialsEditor()
            self.custom("materials", self.materials)
            self.steps = StepsEditor()
            self.custom("steps", self.steps, True)
            self.text("special_steps")
            self.line("legal_time_limit", True, 100)
            self.line("promised_time_limit", True, 100)
            self.number("visits", 0, 20)
            self.text("fees", height=50)
            self.line("location", True)
            self.line("hours", True)
            self.line("phone", True, 100)
            self.line("complaint_phone", False, 100)
            self.faqs = FaqEditor()
            self.custom("faqs", self.faqs)
            kw = QLineEdit()
            kw.setPlaceholderText("用顿号或逗号分隔，如：低保、救助")
            kw.textChanged.connect(lambda _t: self.changed.emit())
            self.add("keywords", kw, lambda: [k.strip() for k in kw.text().replace("，", "、").replace(",", "、")
                                               .split("、") if k.strip()],
                     lambda v: kw.setText("、".join(v or [])))
        elif kind == "category":
            self.line("name", True, 100)
            self.line("code", True, 40)
            self.line("name_en", True, 100)
            self.line("icon", True, 40)
            self.number("sort_order", 0, 9999)
        elif kind == "notice":
            self.line("title", True, 200)
            self.date("starts_on")
            self.date("ends_on")
            self.text("body", True, 220)
        elif kind == "business_type":
            self.line("name", True, 100)
            self.line("code", True, 40)
            self.line("prefix", True, 2)
            self.line("name_en", True, 100)
            self.number("avg_service_minutes", 1, 480)
            self.lead_guides = CheckList()
            self.labels = {**self.labels, "lead_guides": "引导到此业务的办事指南"}
            self.add("lead_guides", self.lead_guides, self.lead_guides.value, lambda _v: None)
            self.lead_guides.changed.connect(self.changed.emit)
        elif kind == "window":
            self.number("number", 1, 999)
            self.line("name", True, 100)
            self.window_businesses = CheckList(orderable=True)
            self.window_businesses.changed.connect(self.changed.emit)
            w = self.window_businesses
            self.add("businesses", w, w.value,
                     lambda v: w.set_choices(self.choices.get("business", []), list(v or [])), True)
        self.grid.setRowStretch(self._row, 1)

    # data in and out
    def set_data(self, data: dict[str, Any]) -> None:
        self._extra = {k: v for k, v in data.items() if k not in self.fields}
        for key, f in self.fields.items():
            if key in data:
                f.set(data[key])
        self.show_errors({})

    def data(self) -> dict[str, Any]:
        out = dict(self._extra)
        for key, f in self.fields.items():
            if key == "lead_guides":
                continue
            out[key] = f.get()
        return out

    def show_errors(self, errors: dict[str, Invalid]) -> int:
        """Put each problem next to its field, in the editor's language (Chinese: not the
        "中文 (English)" of content files); returns how many fields have one."""
        grouped: dict[str, list[str]] = {}
        for path, problem in errors.items():
            message = problem.text(EDITOR_LANGUAGE)
            parts = path.split(".") if path else []
            key = parts[0] if parts else ""
            if key not in self.fields:
                grouped.setdefault("", []).append(f"{self.labels.get(key, key)}: {message}" if key else message)
                continue
            editor = self.fields[key].widget
            where = editor.describe(parts[1:]) if hasattr(editor, "describe") else ""
            grouped.setdefault(key, []).append(f"{where}：{message}" if where else message)
        for key, f in self.fields.items():
            messages = grouped.get(key)
            f.error.setText("\n".join(messages or []))
            f.error.setVisible(bool(messages))
        record = grouped.get("", [])
        self.record_error.setText("\n".join(record))
        self.record_error.setVisible(bool(record))
        return len(grouped)

    def error_text(self, key: str) -> str:
        return "" if self.fields[key].error.isHidden() else self.fields[key].error.text()
