"""Search with the on-screen keyboard; results update on every key, matches highlighted."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.services.catalog_items import GuideSummary
from kiosk.services.search_index import SearchHit
from kiosk.ui.resident.common import Screen, english, label, scroll_area
from kiosk.ui.theme import highlight_html
from kiosk.ui.widgets.input_panel import InputPanel
from kiosk.ui.widgets.tiles import Row, clear_layout
from kiosk.ui.widgets.word_wrap import unbroken

RESULT_LIMIT = 20
MAX_INPUT = 60  # the field stops here; the search itself uses at most 40 characters


class SearchScreen(Screen):
    name = "search"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.field = QLineEdit()
        self.field.setObjectName("search-field")
        self.field.setMaxLength(MAX_INPUT)
        self.field.textChanged.connect(self._update_results)
        self.clear_button = QPushButton()
        self.clear_button.setObjectName("search-clear")
        self.clear_button.clicked.connect(self.field.clear)
        # 手写 / 拼音 / ABC around the on-screen keyboard (kiosk/ui/widgets/input_panel.py).
        self.input = InputPanel(self.field)
        self.input.setObjectName("input-panel")
        self.keyboard = self.input.keyboard
        self.status = label("", "muted")
        self.status.setObjectName("search-status")
        self.results_widget = QWidget()
        self.results_layout = QVBoxLayout(self.results_widget)
        self.results_layout.setContentsMargins(0, 0, 12, 0)
        self.results_layout.setSpacing(12)
        self.rows: list[Row] = []
        self.hits: tuple[SearchHit, ...] = ()

        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(self.field, 1)
        top.addWidget(self.clear_button)
        if kiosk.orientation == "landscape":  # 手写 / 拼音 / ABC beside the field: the card has no row to spare
            top.addWidget(self.input.mode_bar)
        self.outer.addLayout(top)
        self.outer.addWidget(self.status)
        self.results_area = scroll_area(self.results_widget)
        self.keyboard_card = QFrame()
        self.keyboard_card.setProperty("role", "card")
        kb = QVBoxLayout(self.keyboard_card)
        kb.setContentsMargins(8, 8, 8, 8)
        self.hint = self.input.hint
        kb.addWidget(self.input, 1)
        self.split = QHBoxLayout() if kiosk.orientation == "landscape" else QVBoxLayout()
        self.split.setSpacing(24)
        self.split.addWidget(self.results_area, 1)
        self.split.addWidget(self.keyboard_card, 0)
        self.outer.addLayout(self.split, 1)

    def reset(self) -> None:
        super().reset()
        self.field.clear()
        self.input.reset(self.kiosk.language)

    def refresh(self) -> None:
        t = self.kiosk.theme
        self.field.setPlaceholderText(Q.translate("Kiosk", "输入拼音、首字母或编码"))
        self.clear_button.setText(Q.translate("Kiosk", "清除"))
        if self.input.language != self.kiosk.language:
            self.input.reset(self.kiosk.language)
        self.input.retranslate()
        self.input.set_theme(t)
        # Ten keys of at least a touch target each, with spacing and the card's margins.
        keys_width = 10 * t.touch + 9 * 8 + 2 * 8 + 24
        if self.kiosk.orientation == "landscape":
            self.keyboard_card.setFixedWidth(max(900, keys_width))
            self.keyboard_card.setMinimumHeight(t.touch * 6 + 5 * 8 + 2 * 8)  # candidates, five key rows
        else:  # the 手写/拼音/ABC row, the candidates (or the hint), five key rows
            self.keyboard_card.setFixedHeight(t.touch * 7 + 6 * 8 + 2 * 8 + 50)
        self._update_results(self.field.text())
        self.input.learn_from(self.kiosk.catalog)
        self.field.setFocus()

    def _build_pool(self) -> None:
        """Result rows are made once per language/text size and reused on every key press:
        creating and styling widgets per keystroke would cost far more than the search."""
        clear_layout(self.results_layout)
        self.pool = []
        self.suggest_label = label(Q.translate("Kiosk", "大家常办的事："), "h2")
        self.results_layout.addWidget(self.suggest_label)
        for _ in range(RESULT_LIMIT):
            row = Row("", "", "")
            row.uid = ""
            row.clicked.connect(lambda _=False, row=row: self.kiosk.go("guide", uid=row.uid))
            row.hide()
            self.pool.append(row)
            self.results_layout.addWidget(row)
        self.results_layout.addStretch(1)
        self._pool_key = (self.kiosk.language, self.kiosk.large)

    def _update_results(self, text: str) -> None:
        if getattr(self, "_pool_key", None) != (self.kiosk.language, self.kiosk.large):
            self._build_pool()
        t = self.kiosk.theme
        en = english(self.kiosk)
        self.rows = []
        result = self.kiosk.catalog.search(text, limit=RESULT_LIMIT)
        self.hits = result.hits
        self.suggest_label.hide()
        if not result.query:
            self.status.setText(Q.translate("Kiosk", "常用办事指南"))
            self._show_guides(self.kiosk.catalog.popular(8))
        elif not result.hits:
            self.status.setText(Q.translate("Kiosk", "没有找到“%1”相关的办事指南。可换个说法，或到服务窗口咨询工作人员。")
                                .replace("%1", result.query[:20]))
            self.suggest_label.show()
            self._show_guides(self.kiosk.catalog.popular(6))
        else:
            if result.more:
                self.status.setText(Q.translate("Kiosk", "相关度最高的 %n 项（输入更多字母可缩小范围）", None,
                                                len(result.hits)))
            else:
                self.status.setText(Q.translate("Kiosk", "找到 %n 项", None, len(result.hits)))
            for hit in result.hits:
                self._show_hit(hit, t, en)
        for row in self.pool[len(self.rows):]:
            row.hide()
        self.results_area.verticalScrollBar().setValue(0)

    def _show_hit(self, hit: SearchHit, t, en: bool) -> None:  # type: ignore[no-untyped-def]
        g = hit.guide
        title = highlight_html(g.name, hit.name_spans, t)
        parts = []
        matched = highlight_html(hit.text, hit.spans, t)
        if hit.field == "keyword":
            parts.append(Q.translate("Kiosk", "关键词：") + matched)
        elif hit.field == "material":
            parts.append(Q.translate("Kiosk", "所需材料：") + matched)
        elif hit.field == "code":
            parts.append(Q.translate("Kiosk", "编码：") + matched)
        elif hit.field == "name_en":
            parts.append(matched)
        elif hit.field == "fuzzy":
            parts.append(Q.translate("Kiosk", "相近：") + matched)
        if en and g.name_en and hit.field != "name_en":
            parts.append(escape(g.name_en))
        cat = self.kiosk.catalog.category(g.category_code)
        if cat is not None:
            parts.append(escape(unbroken((cat.name_en or cat.name) if en else cat.name)))
        self._show_row(g, title, " · ".join(parts))

    def _show_guides(self, guides: list[GuideSummary]) -> None:
        en = english(self.kiosk)
        for g in guides:
            cat = self.kiosk.catalog.category(g.category_code)
            detail = escape(unbroken((cat.name_en or cat.name) if en else cat.name)) if cat else ""
            if en and g.name_en:
                detail = escape(g.name_en) + (" · " + detail if detail else "")
            self._show_row(g, escape(g.name), detail)

    def _show_row(self, g: GuideSummary, title_html: str, detail_html: str) -> None:
        row = self.pool[len(self.rows)]
        note = Q.translate("Kiosk", "可取号") if g.business_code else ""
        row.uid = g.uid
        row.setObjectName(f"result-{g.code}")
        row.set_content(title_html, detail_html, note, g.name)
        row.show()
        self.rows.append(row)
