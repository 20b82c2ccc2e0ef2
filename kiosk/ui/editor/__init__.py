"""The staff content editor (Qt). `open_editor(hall, staff_session)` is what the hall app's
staff menu calls after a PIN login; `EditorApp` adds its own login screen in front."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from kiosk.services.auth import StaffSession
from kiosk.services.editor import EditorService
from kiosk.services.events import ContentConflict, ContentProposal, Event
from kiosk.ui.tasks import tasks

if TYPE_CHECKING:
    from kiosk.hall import Hall


class _EventBridge(QObject):
    """Sync events arrive on the worker's thread: the first of a burst wakes the GUI thread through
    the task runner's inbox (kiosk/ui/tasks.py), which emits `arrived` there once for them all.
    No Qt object is touched off the GUI thread, and no timer polls."""

    arrived = Signal()
    KINDS = (ContentConflict, ContentProposal)  # a proposal's state changed: the record shows it

    def __init__(self, events: Any, parent: QObject):
        super().__init__(parent)
        self.events = events
        self.runner = tasks()  # (taken here, on the GUI thread)
        self._pending = False  # a wake-up is on its way: later events of the burst ride on it
        self._lock = threading.Lock()
        for kind in self.KINDS:
            self.events.subscribe(kind, self._on_event)
        parent.destroyed.connect(self._detach)

    def _on_event(self, _event: Event) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        self.runner.post(self._deliver, owner=self)

    def _deliver(self) -> None:
        with self._lock:
            self._pending = False  # an event from now on asks for a refresh of its own
        self.arrived.emit()

    def _detach(self) -> None:
        for kind in self.KINDS:
            self.events.unsubscribe(kind, self._on_event)


def open_editor(hall: Hall, staff_session: StaffSession) -> QWidget:
    """The editor window for someone already signed in (permissions are checked again by the service)."""
    from kiosk.ui.editor.window import EditorWindow

    window = EditorWindow(EditorService.for_hall(hall), staff_session, hall.tz, hall)
    bridge = _EventBridge(hall.events, window)
    bridge.arrived.connect(window.refresh)
    return window


class EditorApp(QStackedWidget):
    """Login screen, then the editor."""

    def __init__(self, hall: Hall):
        super().__init__()
        from kiosk.ui.editor.login import LoginWidget

        self.hall = hall
        self.login = LoginWidget(hall.auth)
        self.login.logged_in.connect(self._open)
        self.addWidget(self.login)
        self.editor: QWidget | None = None

    def _open(self, session: StaffSession) -> None:
        self.editor = open_editor(self.hall, session)
        self.addWidget(self.editor)
        self.setCurrentWidget(self.editor)
