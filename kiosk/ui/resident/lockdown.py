"""Kiosk lockdown: the keys and menus that would leave the kiosk do nothing.

The window is frameless, full screen and stays on top (set by the window); this filter, on the
whole application, swallows Esc, Alt+F4, Alt/Ctrl/Meta+Tab, the Windows/Menu keys, F11,
Ctrl+W/Q and right-click menus. A close request from the window manager is refused by the
window itself. What the operating system handles before Qt (Ctrl+Alt+Del, some Alt+Tab) needs
the OS's own kiosk / assigned-access mode: see the README.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QApplication, QWidget

K = Qt.Key
M = Qt.KeyboardModifier
ALWAYS_BLOCKED = {K.Key_Escape, K.Key_Meta, K.Key_Super_L, K.Key_Super_R, K.Key_Menu, K.Key_F11,
                  K.Key_Hyper_L, K.Key_Hyper_R, K.Key_LaunchMail, K.Key_HomePage}
KEY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride)
RAISE_EVENTS = (QEvent.Type.Show, QEvent.Type.MouseButtonPress)
OWN_WINDOWS = (Qt.WindowType.Window, Qt.WindowType.Dialog)  # not tooltips or popups


def leaves_kiosk(event: QKeyEvent) -> bool:
    """Would this key press take a resident out of the kiosk?"""
    key, mods = event.key(), event.modifiers()
    if key in ALWAYS_BLOCKED:
        return True
    if key in (K.Key_F4,) and mods & (M.AltModifier | M.ControlModifier):
        return True
    if key in (K.Key_Tab, K.Key_Backtab) and mods & (M.AltModifier | M.ControlModifier | M.MetaModifier):
        return True
    if key == K.Key_Space and mods & M.AltModifier:
        return True
    if key in (K.Key_W, K.Key_Q) and mods & M.ControlModifier:
        return True
    return bool(mods & M.MetaModifier)


class Lockdown(QObject):
    """Filters the application's events, but only those meant for the kiosk window: counter
    consoles running in the same process keep their keys and menus."""

    def __init__(self, window: QWidget, app: QApplication | None = None):
        super().__init__()
        self.window = window
        self.app = app or QApplication.instance()
        self.active = False
        self.blocked = 0  # how many key presses / menus were swallowed (for the log and tests)

    def engage(self) -> None:
        if not self.active:
            self.app.installEventFilter(self)
            self.active = True
        self.keep_on_top()

    def release(self) -> None:
        if self.active:
            self.app.removeEventFilter(self)
            self.active = False

    def _keep_kiosk_on_top(self, obj: QObject, kind: QEvent.Type) -> None:
        """Without a window manager nothing keeps the kiosk above a window shown after it: another
        window of the app appearing, or a touch on the kiosk, puts the kiosk back on top."""
        if not isinstance(obj, QWidget) or not obj.isWindow():
            return
        if kind == QEvent.Type.Show:
            if obj is not self.window and obj.windowType() in OWN_WINDOWS:
                QTimer.singleShot(0, self.keep_on_top)
        elif obj is self.window:
            self.keep_on_top()

    def keep_on_top(self) -> None:
        if self.active and self.window.isVisible():
            self.window.raise_()
            self.window.activateWindow()

    def _ours(self, obj: QObject) -> bool:
        if isinstance(obj, QWidget):
            return obj.window() is self.window
        return isinstance(obj, QWindow) and obj is self.window.windowHandle()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in RAISE_EVENTS:
            self._keep_kiosk_on_top(obj, kind)
            return False
        if kind not in KEY_EVENTS and kind != QEvent.Type.ContextMenu:
            return False
        if not self._ours(obj):
            return False
        if kind in KEY_EVENTS and isinstance(event, QKeyEvent) and leaves_kiosk(event):
            if kind == QEvent.Type.KeyPress:
                self.blocked += 1
            return True
        if kind == QEvent.Type.ContextMenu:
            self.blocked += 1
            return True
        return False
