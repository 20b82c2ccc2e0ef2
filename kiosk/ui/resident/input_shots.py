"""Screenshots of handwriting, pinyin candidates, the English layout, 读给我听 and the priority
choice, for `yizhan hall --screenshots DIR` (see kiosk/ui/screenshots.py)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QWidget

from kiosk.services.handwriting_samples import strokes
from kiosk.services.read_aloud import Reader
from kiosk.ui.resident import shots
from kiosk.ui.resident.shots import other_orientation, sample_guide_uid, ticket_answered, type_on_keyboard
from kiosk.ui.resident.window import KioskWindow
from kiosk.ui.screenshots import ShotContext, settle, shot


def fresh(ctx: ShotContext) -> KioskWindow:
    window = shots.fresh(ctx)
    window._show_countdown(-1)  # the idle-countdown shot before leaves its banner up
    return window


def handwriting_after(window: KioskWindow) -> KioskWindow:
    """低 written and chosen, 保 written: the candidates after its last stroke."""
    window.go("search")
    panel = window.screens["search"].input
    panel.mode_buttons["handwriting"].click()
    settle()
    panel.pad.write(strokes("低"))
    panel.candidates.buttons[panel.candidates.texts.index("低")].click()
    panel.pad.write(strokes("保"))
    return window


def silent_reader() -> Reader:
    """espeak-ng for real; the 'player' only waits, so a screenshot run makes no sound."""
    return Reader(player=[sys.executable, "-c", "import time; time.sleep(20)"])


@shot("kiosk-handwriting")
def handwriting(ctx: ShotContext) -> QWidget:
    return handwriting_after(fresh(ctx))


@shot("kiosk-handwriting-portrait-large")
def handwriting_portrait_large(ctx: ShotContext) -> QWidget:
    window = other_orientation(ctx, "portrait")
    window.large_button.click()
    handwriting_after(window)
    return window


@shot("kiosk-pinyin-candidates")
def pinyin_candidates(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("search")
    return type_on_keyboard(window, "dibao")


@shot("kiosk-english-abc")
def english_abc(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.language_button.click()
    window.go("search")
    search = window.screens["search"]
    for word in ("minimum", "living"):
        type_on_keyboard(window, word)
        search.keyboard.space_key.click()
    return window


@shot("kiosk-read-aloud")
def read_aloud(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("guide", uid=sample_guide_uid(window))
    bar = window.screens["guide"].read_aloud
    bar._reader = silent_reader()
    bar.read_button.click()
    return window


@shot("kiosk-ticket-read-aloud")
def ticket_read_aloud(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    window.go("guide", uid=sample_guide_uid(window))
    guide = window.screens["guide"]
    if guide.ticket_button.isVisible():
        guide.ticket_button.click()
        ticket_answered(window)
    else:
        window.go("ticket")
    bar = window.screens["ticket"].read_aloud
    bar._reader = silent_reader()
    bar.read_button.click()
    bar.pause_button.click()  # paused: 继续 / 停止
    settle(300)
    return window


@shot("kiosk-priority-choice")
def priority_choice(ctx: ShotContext) -> QWidget:
    window = fresh(ctx)
    allowed = ctx.hall.config.kiosk.priority_tickets
    ctx.hall.config.kiosk.priority_tickets = True
    try:
        window.screens["home"].ticket_button.click()
        screen = window.screens["ticket"]
        next(iter(screen.business_buttons.values())).click()
    finally:
        ctx.hall.config.kiosk.priority_tickets = allowed
    return window
