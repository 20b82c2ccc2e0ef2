"""The staff content editor (Qt). `open_editor(hall, staff_session)` is what the hall app's
staff menu calls after a PIN login; `EditorApp` adds its own login screen in front."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from kiosk.services.auth import AuthService, StaffSession
from kiosk.services.editor import EditorService
from kiosk.services.events import ContentConflict, ContentProposal, Event


class _EventBridge(QObject):
    """Sync events arrive on the worker's thread. Only a flag crosses threads; a GUI-thread
    timer turns it into `arrived` (no Qt object is touched off the GUI thread)."""

    arrived = Signal()
    KINDS = (ContentConflict, ContentProposal)  # a proposal's state changed: the record shows it

    def __init__(self, events: Any, parent: QObject):
        super().__init__(parent)
        self.events = events
        self._pending = threading.Event()
        for kind in self.KINDS:
            self.events.subscribe(kind, self._on_event)
        parent.destroyed.connect(self._detach)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._deliver)
        self._timer.start(200)

    def _on_event(self, _event: Event) -> None:
        self._pending.set()

    def _deliver(self) -> None:
        if self._pending.is_set():
            self._pending.clear()
            self.arrived.emit()

    def _detach(self) -> None:
        for kind in self.KINDS:
            self.events.unsubscribe(kind, self._on_event)


def open_editor(hall: Any, staff_session: StaffSession) -> QWidget:
    """The editor window for someone already signed in (permissions are checked again by the service)."""
    from kiosk.ui.editor.window import EditorWindow

    window = EditorWindow(EditorService.for_hall(hall), staff_session, getattr(hall, "tz", None), hall)
    bridge = _EventBridge(hall.events, window)
    bridge.arrived.connect(window.refresh)
    return window


class EditorApp(QStackedWidget):
    """Login screen, then the editor."""

    def __init__(self, hall: Any):
        super().__init__()
        from kiosk.ui.editor.login import LoginWidget

        self.hall = hall
        self.login = LoginWidget(AuthService.for_hall(hall))
        self.login.logged_in.connect(self._open)
        self.addWidget(self.login)
        self.editor: QWidget | None = None

    def _open(self, session: StaffSession) -> None:
        self.editor = open_editor(self.hall, session)
        self.addWidget(self.editor)
        self.setCurrentWidget(self.editor)
