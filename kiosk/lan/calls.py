"""Run a console's hall calls on a worker thread, so a hall that does not answer (cable pulled,
hall app hung) never freezes the console's window.

The worker only calls the client and puts (job id, result or exception) into `results`; the
console takes them on its GUI thread from a timer. Nothing here touches Qt, and a job holds only
the client and plain values, so no Qt object is ever used or freed on the worker thread.
Jobs run one at a time in order: an action, then the refresh after it.
`background=False` runs each job at once on the caller's thread (the in-process console: its
calls are local and quick).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any


class Calls:
    def __init__(self, *, background: bool = True, name: str = "hall-calls"):
        self.background = background
        self.name = name
        self.results: queue.SimpleQueue[tuple[int, Any, BaseException | None]] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[int, Callable[..., Any], tuple, dict] | None] = queue.SimpleQueue()
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Queue `fn(*args, **kwargs)`; its result comes out of `take_one()` under the returned id."""
        job_id = next(self._ids)
        if not self.background:
            self.results.put((job_id, *_run(fn, args, kwargs)))
            return job_id
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
        self._jobs.put((job_id, fn, args, kwargs))
        return job_id

    def take_one(self) -> tuple[int, Any, BaseException | None] | None:
        """The next finished job, (id, result, exception or None), or None. One at a time, so a
        handler that opens a dialog (a nested event loop, which takes results too) keeps the order."""
        try:
            return self.results.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        """Let the worker end after the job it is running (it is a daemon: exit never waits).
        A later submit starts a new one (any thread left takes the next job or the end mark)."""
        with self._lock:
            if self._thread is not None:
                self._jobs.put(None)
                self._thread = None

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job_id, fn, args, kwargs = job
            self.results.put((job_id, *_run(fn, args, kwargs)))
            del job, fn, args, kwargs


def _run(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, BaseException | None]:
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which decides
        return None, exc
