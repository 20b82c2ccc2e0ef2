"""Screenshots of the resident kiosk for `yizhan hall --screenshots DIR` (see kiosk/ui/screenshots.py)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QWidget

from kiosk.ui.resident.window import KioskWindow
from kiosk.ui.screenshots import ShotContext, settle, settle_until, shot

_extra: dict[str, KioskWindow] = {}  # windows made for a shot stay alive until the app exits


def kiosk(ctx: ShotContext) -> KioskWindow:
    window = ctx.windows["kiosk"]
    assert isinstance(window, KioskWindow)
    return window


def sample_guide_uid(window: KioskWindow) -> str:
    """最低生活保障 if the content has it (it is what `db` finds), else the first guide."""
    hits = window.catalog.search("dibao", limit=1).hits
    if hits:
        return hits[0].guide.uid
    for cat in window.catalog.categories():
        guides = window.catalog.guides_in(cat.code)
        if guides:
            return guides[0].uid
    raise RuntimeError("the catalogue has no guides to show")


def type_on_keyboard(window: KioskWindow, text: str) -> KioskWindow:
    """Press the search screen's on-screen keys, as a resident would."""
    for ch in text:
        window.screens["search"].keyboard.keys[ch].click()
    return window


def ticket_answered(window: KioskWindow) -> KioskWindow:
    """The queue is asked off the GUI thread: let Qt run until the ticket screen has its answer."""
    screen = window.screens["ticket"]
    settle_until(lambda: not screen.issuing)  # type: ignore[attr-defined]
    return window


def fresh(ctx: ShotContext) -> KioskWindow:
    window = kiosk(ctx)
    window.reset_session()
    window._show_countdown(-1)  # the idle countdown shot leaves it up otherwise
    return window


def other_orientation(ctx: ShotContext, orientation: str) -> KioskWindow:
    if orientation not in _extra:
        window = KioskWindow(ctx.hall, orientation=orientation, lockdown=False)
        window.resize(1080, 1920) if orientation == "portrait" else window.resize(1920, 1080)
        window.show()
        _extra[orientation] = window
    window = _extra[orientation]
    window.reset_session()
    settle()
    return window


@shot("kiosk-home")
def home(ctx: ShotContext) -> QWidget:
    return fresh(ctx)


@shot("kiosk-gongshi-board")
def gongshi_board(ctx: ShotContext) -> QWidget:
    """The 公示 screen: 政务公开 and 财务公开 tables, then the notices."""
    window = fresh(ctx)
    window.screens["home"].gongshi_row.click()
    return window


@shot("kiosk-gongshi-finance")
def gongshi_finance(ctx: ShotContext) -> QWidget:
    """One 财务公开 table: a month's income and expenditure, its period and responsible person."""
    window = fresh(ctx)
    tables = window.catalog.disclosures(datetime.now(window.tz).date())
    finance = next((d for d in tables if d.kind == "finance"), None)
    window.go("gongshi", **({"uid": finance.uid} if finance else {}))
    return window


@shot("kiosk-category")
def category(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    uid = sample_guide_uid(window)
    summary = window.catalog.summary(uid)
    window.home()
    window.screens["home"].tiles[summary.category_code].click()
    return window


@shot("kiosk-guide")
def guide(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("guide", uid=sample_guide_uid(window))
    return window


@shot("kiosk-search-db")
def search_db(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.screens["home"].search_button.click()
    return type_on_keyboard(window, "db")


@shot("kiosk-ticket")
def ticket(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("guide", uid=sample_guide_uid(window))
    button = window.screens["guide"].ticket_button
    if button.isVisible():
        button.click()  # a real ticket from the queue service, as a resident would take it
        ticket_answered(window)
    else:
        window.go("ticket")
    settle(300)  # let a printer's answer arrive
    return window


@shot("kiosk-ticket-choose")
def ticket_choose(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.screens["home"].ticket_button.click()
    return window


@shot("kiosk-large-text")
def large_text(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("guide", uid=sample_guide_uid(window))
    window.large_button.click()
    return window


@shot("kiosk-english")
def english(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.language_button.click()
    return window


@shot("kiosk-english-guide")
def english_guide(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.language_button.click()
    window.go("guide", uid=sample_guide_uid(window))
    return window


@shot("kiosk-portrait")
def portrait(ctx: ShotContext) -> QWidget:
    return other_orientation(ctx, "portrait")


@shot("kiosk-portrait-guide")
def portrait_guide(ctx: ShotContext) -> QWidget:
    window = other_orientation(ctx, "portrait")
    window.go("guide", uid=sample_guide_uid(window))
    return window


@shot("kiosk-portrait-search-db")
def portrait_search(ctx: ShotContext) -> QWidget:
    window = other_orientation(ctx, "portrait")
    window.go("search")
    return type_on_keyboard(window, "db")


@shot("kiosk-landscape")
def landscape(ctx: ShotContext) -> QWidget:
    window = other_orientation(ctx, "landscape")
    window.go("search")
    return type_on_keyboard(window, "shiye")


@shot("kiosk-idle-countdown")
def idle_countdown(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("guide", uid=sample_guide_uid(window))
    window._show_countdown(8)  # what the last seconds before the idle reset look like
    return window


def staff_exit(ctx: ShotContext, *, english: bool, large: bool) -> QWidget:
    """The staff exit as a station head sees it: staff number typed, the PIN field selected."""
    window = fresh(ctx)
    if english:
        window.language_button.click()
    if large:
        window.large_button.click()
    staff = window.staff
    staff.open()
    for key in ("digit-3", "pin", "digit-1", "digit-2"):
        staff.buttons[key].click()
    return window


# the staff exit in both languages and both text sizes
for _name, _english, _large in (("kiosk-staff", False, False), ("kiosk-staff-large", False, True),
                                ("kiosk-staff-english", True, False), ("kiosk-staff-english-large", True, True)):
    shot(_name)(lambda ctx, english=_english, large=_large: staff_exit(ctx, english=english, large=large))


@shot("kiosk-ticket-english-large")
def ticket_english_large(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.language_button.click()
    window.large_button.click()
    window.go("ticket", business=window.queue.businesses()[0].code)
    return ticket_answered(window)


def large_english(ctx: ShotContext, window: KioskWindow) -> KioskWindow:
    if window.language != "en":
        window.language_button.click()
    if not window.large:
        window.large_button.click()
    return window


@shot("kiosk-home-english-large")
def home_english_large(ctx: ShotContext) -> QWidget:
    """Whole words in two wide columns of tiles: no "Securit", "Disabilit"."""
    return large_english(ctx, fresh(ctx))


@shot("kiosk-guide-english-large")
def guide_english_large(ctx: ShotContext) -> QWidget:
    """The QR caption under the code, "Take a ticket for this" whole, 读给我听 wrapped between words."""
    window = large_english(ctx, fresh(ctx))
    window.go("guide", uid=sample_guide_uid(window))
    return window


@shot("kiosk-portrait-english-large")
def portrait_english_large(ctx: ShotContext) -> QWidget:
    return large_english(ctx, other_orientation(ctx, "portrait"))
