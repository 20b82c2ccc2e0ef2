"""One way off the GUI thread: `tasks().run(fn, owner=widget).on_done(show).on_error(say)`.

`fn` runs on one of a few worker threads (a slow printer or database never freezes a screen);
its result or exception comes back through ONE inbox of the GUI thread, where `on_done` or
`on_error` is called. The chain is set right after `run()` on the GUI thread, before the inbox
can be read there, so a quick task cannot finish "too early". A task whose `owner` widget is
gone by then is dropped (no call into a deleted widget); a failure with no `on_error` is logged.

`tasks().post(callback, owner=w)`, from any thread, calls `callback()` on the GUI thread through
the same inbox (news from the sync worker's thread, say).

`tasks().lane(owner=w)` gives tasks that must not overlap (a console's action, then the refresh
after it) a queue of their own: they run one at a time, in order, on the same runner.

Workers never touch Qt objects: they only run `fn` and put its outcome in the inbox, then wake
the GUI thread with a queued signal (no polling timer). Worker threads are daemons: a printer
that hangs does not hold up the app's exit.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

log = logging.getLogger(__name__)

WORKERS = 4  # tasks are short (a print, a query); a few at once is plenty on the hall PC
# A screen waiting for an answer says so ("正在取号……") only after this long: a quicker answer
# would make the words flicker.
SLOW_MS = 300


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

    def post(self, callback: Callable[[], None], owner: QObject | None = None) -> None:
        """From any thread: `callback()` on the GUI thread, through the inbox (dropped once `owner` is gone)."""
        task = Task(getattr(callback, "__qualname__", repr(callback)), owner).on_done(lambda _r: callback())
        self._inbox.put((task, None, None))
        del task  # (the inbox's is the last reference: let go of on the GUI thread)
        try:
            self._arrived.emit()
        except RuntimeError:  # the runner is gone (the app is quitting): nobody to tell
            pass

    def lane(self, owner: QObject | None = None) -> Lane:
        """A queue of tasks that run one after another, in order (see Lane)."""
        return Lane(self, owner)

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


class Lane:
    """Tasks of one owner that run one at a time, in the order given, on the runner's workers.

    The next task starts when the previous one's answer reaches the GUI thread, before that
    answer is handed over: a handler that opens a dialog (a nested event loop) does not hold up
    the tasks queued behind it, and their answers still come in order.
    """

    def __init__(self, runner: TaskRunner, owner: QObject | None):
        self.runner = runner
        self.owner = owner
        self._waiting: deque[tuple[Task, Callable[..., Any], tuple, dict]] = deque()
        self._busy = False

    @property
    def idle(self) -> bool:
        """Nothing running or waiting: every answer so far has been handed over."""
        return not self._busy and not self._waiting

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        task = Task(getattr(fn, "__qualname__", repr(fn)), self.owner)
        self._waiting.append((task, fn, args, kwargs))
        if not self._busy:
            self._next()
        return task

    def _next(self) -> None:
        if not self._waiting:
            self._busy = False
            return
        self._busy = True
        task, fn, args, kwargs = self._waiting.popleft()
        # (no owner on the runner's task: the lane goes on even if this answer is dropped)
        self.runner.run(fn, *args, **kwargs).on_done(lambda r: self._answer(task, r, None)) \
            .on_error(lambda e: self._answer(task, None, e))

    def _answer(self, task: Task, result: Any, exc: BaseException | None) -> None:
        self._next()
        self.runner._deliver(task, result, exc)


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
