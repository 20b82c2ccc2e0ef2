"""One way off the GUI thread: `tasks().run(fn, owner=widget).on_done(show).on_error(say)`.

`fn` runs on one of a few worker threads (a slow printer or database never freezes a screen);
its result or exception comes back through ONE inbox of the GUI thread, where `on_done` or
`on_error` is called. The chain is set right after `run()` on the GUI thread, before the inbox
can be read there, so a quick task cannot finish "too early". A task whose `owner` widget is
gone by then is dropped (no call into a deleted widget); a failure with no `on_error` is logged.

Workers never touch Qt objects: they only run `fn` and put its outcome in the inbox, then wake
the GUI thread with a queued signal (no polling timer). Worker threads are daemons: a printer
that hangs does not hold up the app's exit.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

log = logging.getLogger(__name__)

WORKERS = 4  # tasks are short (a print, a query); a few at once is plenty on the hall PC


class Task:
    """What to do with one task's outcome, on the GUI thread."""

    def __init__(self, name: str, owner: QObject | None):
        self.name = name
        self.owner = owner
        self._done: Callable[[Any], None] | None = None
        self._error: Callable[[BaseException], None] | None = None

    def on_done(self, callback: Callable[[Any], None]) -> Task:
        self._done = callback
        return self

    def on_error(self, callback: Callable[[BaseException], None]) -> Task:
        self._error = callback
        return self


class TaskRunner(QObject):
    _arrived = Signal()  # emitted by a worker; delivered (queued) on the runner's, the GUI, thread

    def __init__(self, workers: int = WORKERS, parent: QObject | None = None):
        super().__init__(parent)
        self.workers = workers
        self._jobs: queue.SimpleQueue[tuple[Task, Callable[..., Any], tuple, dict]] = queue.SimpleQueue()
        self._inbox: queue.SimpleQueue[tuple[Task, Any, BaseException | None]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers waiting for a job
        self._lock = threading.Lock()
        self._arrived.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def run(self, fn: Callable[..., Any], *args: Any, owner: QObject | None = None, **kwargs: Any) -> Task:
        """Run `fn(*args, **kwargs)` off the GUI thread; chain on_done/on_error on the answer."""
        task = Task(getattr(fn, "__qualname__", repr(fn)), owner)
        with self._lock:  # a new worker when none is free for this job (up to `workers`)
            if self._idle <= self._jobs.qsize() and len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name=f"hall-task-{len(self._threads) + 1}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._jobs.put((task, fn, args, kwargs))
        return task

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            task, fn, args, kwargs = self._jobs.get()
            with self._lock:
                self._idle -= 1
            try:
                outcome = (task, fn(*args, **kwargs), None)
            except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which decides
                outcome = (task, None, exc)
            self._inbox.put(outcome)
            del task, fn, args, kwargs, outcome  # no reference to a widget kept on this thread
            try:
                self._arrived.emit()
            except RuntimeError:  # the runner is gone (the app is quitting): nobody to tell
                return

    def _drain(self) -> None:
        while True:
            try:
                task, result, exc = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._deliver(task, result, exc)

    def _deliver(self, task: Task, result: Any, exc: BaseException | None) -> None:
        if task.owner is not None and not shiboken6.isValid(task.owner):
            return  # its screen was closed meanwhile
        if exc is None:
            if task._done is not None:
                task._done(result)
        elif task._error is not None:
            task._error(exc)
        else:
            log.error("task %s failed", task.name, exc_info=exc)


_runners: dict[int, TaskRunner] = {}


def tasks() -> TaskRunner:
    """The app's one runner (made on first use, on the GUI thread, living as long as the app)."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("tasks() needs the Qt application (it delivers on the GUI thread)")
    runner = _runners.get(id(app))
    if runner is None or not shiboken6.isValid(runner) or runner.parent() is not app:
        runner = _runners[id(app)] = TaskRunner(parent=app)
    return runner
