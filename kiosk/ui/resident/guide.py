"""A guide in full, laid out to read standing up, with a QR code to take it home."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.services.catalog import GuideDetail
from kiosk.services.links import guide_url, hall_public_url
from kiosk.ui.resident.common import Screen, english, label, or_none, qr_caption, scroll_area
from kiosk.ui.widgets.qr import QrWidget
from kiosk.ui.widgets.read_aloud_bar import ReadAloudBar
from kiosk.ui.widgets.tiles import Badge, clear_layout
from kiosk.ui.widgets.word_wrap import WordWrapButton, keep_whole, unbroken


def form_text(form: str) -> str:
    return {
        "original": Q.translate("Kiosk", "原件"),
        "copy": Q.translate("Kiosk", "复印件"),
        "both": Q.translate("Kiosk", "原件和复印件"),
    }.get(form, "")


class GuideScreen(Screen):
    name = "guide"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.detail: GuideDetail | None = None
        self.qr = QrWidget(side=300)
        self.qr.setObjectName("guide-qr")
        self.ticket_button = WordWrapButton()
        self.ticket_button.setObjectName("guide-ticket")
        self.ticket_button.setProperty("role", "ticket")
        self.ticket_button.clicked.connect(self._take_ticket)
        self.read_aloud = ReadAloudBar(self, self._script)  # 读给我听
        self.body = QVBoxLayout()
        self.body.setSpacing(16)
        self.outer.addLayout(self.body)

    def open(self, **params) -> None:  # type: ignore[no-untyped-def]
        super().open(**params)
        if self.detail is not None:
            self.kiosk.catalog.record_view(self.detail.uid)

    def _take_ticket(self) -> None:
        if self.detail is not None and self.detail.business_code:
            self.kiosk.go("ticket", business=self.detail.business_code)

    def _script(self) -> list[str]:
        from kiosk.services.read_aloud import guide_script

        return guide_script(self.detail) if self.detail is not None else []

    def refresh(self) -> None:
        for w in (self.qr, self.ticket_button, self.read_aloud):
            w.setParent(None)
        clear_layout(self.body)
        self.detail = self.kiosk.catalog.guide(self.params.get("uid", ""))
        d = self.detail
        if d is None:
            self.body.addWidget(label(Q.translate("Kiosk", "这份办事指南已更新或下线，请返回重新查找。"), "title"))
            self.body.addStretch(1)
            return
        en = english(self.kiosk)
        title = label(d.name, "title")
        title.setObjectName("guide-title")
        # 读给我听 beside the name and its line: found at once, and no extra row. One widget
        # (not nested layouts), deleted whole on the next refresh once the bar is taken out.
        heading = QWidget()
        head_row = QHBoxLayout(heading)
        head_row.setContentsMargins(0, 0, 0, 0)
        head_row.setSpacing(24)
        names = QVBoxLayout()
        names.setSpacing(8)
        names.addWidget(title)
        sub = [d.category_name_en or d.category_name if en else unbroken(d.category_name),
               Q.translate("Kiosk", "事项编码 %1").replace("%1", d.code) if d.code else ""]
        if en and d.name_en:
            sub.insert(0, d.name_en)
        if d.keywords:
            sub.append(Q.translate("Kiosk", "关键词：") + "、".join(d.keywords))
        names.addWidget(label(" · ".join(s for s in sub if s), "muted"))
        head_row.addLayout(names, 1)
        self.read_aloud.show_state()
        head_row.addWidget(self.read_aloud, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addWidget(heading)

        side = self._side_panel()
        content = QWidget()
        col = QVBoxLayout(content)
        col.setContentsMargins(0, 0, 16, 0)
        col.setSpacing(18)
        self._fill(col, d)
        col.addStretch(1)
        scroller = scroll_area(content)
        scroller.setObjectName("guide-scroll")
        if self.kiosk.orientation == "portrait":
            self.body.addWidget(side)
            self.body.addWidget(scroller, 1)
        else:
            row = QHBoxLayout()
            row.setSpacing(28)
            row.addWidget(scroller, 1)
            row.addWidget(side, 0, Qt.AlignmentFlag.AlignTop)
            self.body.addLayout(row, 1)
        self.qr.set_data(guide_url(hall_public_url(self.kiosk.hall), d.uid))
        self.style().unpolish(self.ticket_button)
        self.style().polish(self.ticket_button)

    # --- parts -------------------------------------------------------------------------------

    def _side_panel(self) -> QFrame:
        t = self.kiosk.theme
        d = self.detail
        assert d is not None
        card = QFrame()
        card.setProperty("role", "card")
        portrait = self.kiosk.orientation == "portrait"
        box = QHBoxLayout(card) if portrait else QVBoxLayout(card)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(16)
        qr_col = QVBoxLayout()
        qr_col.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        caption = qr_caption(self.kiosk, Q.translate("Kiosk", "手机扫码，带走材料清单"))
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_col.addWidget(caption)
        box.addLayout(qr_col)
        ticket_col = QVBoxLayout()
        ticket_col.setSpacing(10)
        if d.business_code:
            business = (d.business_name_en or d.business_name) if english(self.kiosk) else d.business_name
            self.ticket_button.setText(Q.translate("Kiosk", "为此事项取号") + "\n" + business)
            self.ticket_button.setMinimumWidth(360)
            ticket_col.addWidget(self.ticket_button)
        else:
            note = label(Q.translate("Kiosk", "此事项无需取号，请直接到服务窗口咨询。"), "body")
            note.setObjectName("guide-no-ticket")
            ticket_col.addWidget(note)
        ticket_col.addStretch(1)
        box.addLayout(ticket_col, 1)
        if not portrait:
            card.setFixedWidth(max(440, t.px(340) + 80))  # large text: "Take a ticket for this" on one line
            # large text: a smaller code leaves the caption and the ticket button their room
            self.qr.set_side(260 if t.large else 300)
        return card

    def _keep_names(self, text: str) -> str:
        names = [c.name for c in self.kiosk.catalog.categories()]
        queue = self.kiosk.queue
        if queue is not None:
            names += [b.name for b in queue.businesses()]
        return keep_whole(text, names)

    def _section(self, col: QVBoxLayout, title: str) -> QVBoxLayout:
        card = QFrame()
        card.setProperty("role", "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(26, 18, 26, 20)
        inner.setSpacing(10)
        inner.addWidget(label(title, "h2"))
        col.addWidget(card)
        return inner

    def _facts(self, col: QVBoxLayout, facts: list[tuple[str, str]]) -> None:
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(10)
        for i, (name, value) in enumerate(facts):
            key = label(name, "field", wrap=False)
            key.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(key, i, 0)
            grid.addWidget(label(value, "body"), i, 1)
        grid.setColumnStretch(1, 1)
        col.addLayout(grid)

    def _fill(self, col: QVBoxLayout, d: GuideDetail) -> None:
        t = self.kiosk.theme
        visits = Q.translate("Kiosk", "%n 次", None, d.visits) if d.visits is not None else ""
        facts = self._section(col, Q.translate("Kiosk", "办理须知"))
        self._facts(facts, [
            (Q.translate("Kiosk", "承诺时限"), or_none(d.promised_time_limit)),
            (Q.translate("Kiosk", "法定时限"), or_none(d.legal_time_limit)),
            (Q.translate("Kiosk", "到现场次数"), or_none(visits)),
            (Q.translate("Kiosk", "收费标准"), d.fees or Q.translate("Kiosk", "不收费")),
            (Q.translate("Kiosk", "办理地点"), or_none(d.location)),
            (Q.translate("Kiosk", "办理时间"), or_none(d.hours)),
            (Q.translate("Kiosk", "咨询电话"), or_none(d.phone)),
            (Q.translate("Kiosk", "监督投诉电话"), or_none(d.complaint_phone)),
        ])

        whole = self._keep_names  # hall names in running text stay on one line
        self._section(col, Q.translate("Kiosk", "受理条件")).addWidget(label(whole(or_none(d.conditions))))

        mats = self._section(col, Q.translate("Kiosk", "申请材料"))
        if not d.materials:
            mats.addWidget(label(or_none("")))
        else:
            mats.addWidget(label(Q.translate("Kiosk", "请逐项准备，带齐后再来办理："), "muted"))
            grid = QGridLayout()
            grid.setHorizontalSpacing(18)
            grid.setVerticalSpacing(12)
            for i, m in enumerate(d.materials):
                box = label("", "box")
                box.setFixedSize(t.px(30), t.px(30))
                grid.addWidget(box, i, 0, Qt.AlignmentFlag.AlignTop)
                name = label(whole(f"{i + 1}. {m.name}"), "strong")
                grid.addWidget(name, i, 1, Qt.AlignmentFlag.AlignTop)
                copies = Q.translate("Kiosk", "%n 份", None, m.copies) if m.copies else ""
                grid.addWidget(label("  ".join(p for p in (copies, form_text(m.form)) if p), "body", wrap=False),
                               i, 2, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(label(whole(m.notes), "muted"), i, 3, Qt.AlignmentFlag.AlignTop)
            grid.setColumnStretch(1, 3)
            grid.setColumnStretch(3, 2)
            mats.addLayout(grid)

        steps = self._section(col, Q.translate("Kiosk", "办理流程"))
        if not d.steps:
            steps.addWidget(label(or_none("")))
        for i, step in enumerate(d.steps, start=1):
            line = QHBoxLayout()
            line.setSpacing(16)
            number = Badge(str(i), t.primary, t.px(42), t.on_primary, text_ratio=0.55)
            line.addWidget(number, 0, Qt.AlignmentFlag.AlignTop)
            line.addWidget(label(whole(step)), 1)
            steps.addLayout(line)

        self._section(col, Q.translate("Kiosk", "特殊环节")).addWidget(label(whole(or_none(d.special_steps))))

        basis = self._section(col, Q.translate("Kiosk", "实施主体与设定依据"))
        self._facts(basis, [(Q.translate("Kiosk", "实施主体"), or_none(d.authority)),
                            (Q.translate("Kiosk", "设定依据"), or_none(d.legal_basis))])

        faq = self._section(col, Q.translate("Kiosk", "常见问题"))
        if not d.faqs:
            faq.addWidget(label(or_none("")))
        for q, a in d.faqs:
            faq.addWidget(label(Q.translate("Kiosk", "问：") + whole(q), "strong"))
            faq.addWidget(label(Q.translate("Kiosk", "答：") + whole(or_none(a)), "body"))
