"""Where the hall PC's other windows go, so that the kiosk keeps its screen.

A kiosk session often has no window manager: "stay on top" hints mean nothing there and a
window shown later simply stacks above the ones shown before. So the virtual LED board and
any counter consoles configured on the hall PC ([counter] consoles) go to another screen when
there is one, and otherwise below the kiosk; the locked kiosk raises itself again whenever
another window of the app appears or someone touches it (kiosk/ui/resident/lockdown.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget


def other_screen(kiosk: QWidget, wanted: int | None = None) -> QScreen | None:
    """Screen number `wanted` if it exists and is not the kiosk's, else the first screen that is
    not the kiosk's; None on a one-screen PC."""
    screens = QGuiApplication.screens()
    own = kiosk.screen()
    if wanted is not None and 0 <= wanted < len(screens) and screens[wanted] is not own:
        return screens[wanted]
    return next((s for s in screens if s is not own), None)


def place_on(widget: QWidget, screen: QScreen | None, kiosk: QWidget, offset: int = 0) -> None:
    """Put a window on `screen` (or, without one, on the kiosk's screen), cascading by `offset`."""
    area = (screen or kiosk.screen()).availableGeometry()
    step = 40 * offset
    widget.move(area.x() + step % max(1, area.width() // 2), area.y() + step % max(1, area.height() // 2))


def show_beside_kiosk(kiosk: QWidget, *, board: QWidget | None, consoles: Iterable[QWidget],
                      console_screen: int) -> None:
    """Show the board window and the hall PC's consoles where they do not cover the kiosk, then
    put the kiosk back on top (it is locked down: nothing else of the app may hide it)."""
    if board is not None:
        place_on(board, other_screen(kiosk), kiosk)
        board.show()
    for i, console in enumerate(consoles):
        place_on(console, other_screen(kiosk, console_screen), kiosk, i)
        console.show()
    keep_on_top = getattr(kiosk, "keep_on_top", None)
    if keep_on_top is not None:
        keep_on_top()
