"""`yizhan hall --screenshots DIR`: each UI package registers the screens worth a picture.

A shot is a function that gets the running app's `ShotContext`, puts a widget into the state
to show (clicks, typing, ...) and returns it; the runner lets Qt paint, grabs it and saves
`DIR/<name>.png`. UI packages register their shots in a `shots.py` module listed in SHOT_MODULES.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)

SHOT_MODULES: list[str] = [  # e.g. "kiosk.ui.resident.shots"; each calls `shot(...)` at import
    "kiosk.ui.editor.shots",
    "kiosk.ui.counter.shots",
    "kiosk.ui.rating.shots",
    "kiosk.ui.resident.shots",
    "kiosk.ui.resident.input_shots",
    "kiosk.ui.board_shots",
]


@dataclass
class ShotContext:
    app: QApplication
    hall: Hall
    windows: dict[str, QWidget] = field(default_factory=dict)  # "kiosk", "counter-1", "board", ...
    made: list[QWidget] = field(default_factory=list)  # windows the shots created, kept alive


Shot = Callable[[ShotContext], QWidget]
_SHOTS: list[tuple[str, Shot]] = []


def shot(name: str) -> Callable[[Shot], Shot]:
    def register(fn: Shot) -> Shot:
        _SHOTS.append((name, fn))
        return fn

    return register


def settle(ms: int = 50) -> None:
    """Let Qt process events and paint (layouts, timers) before a grab."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    QCoreApplication.processEvents()


def settle_until(done: Callable[[], bool], timeout_ms: int = 5000) -> None:
    """Let Qt run until `done()`: an answer from a worker thread (kiosk/ui/tasks.py) is in."""
    waited = 0
    while not done() and waited < timeout_ms:
        settle(20)
        waited += 20


def take_all(ctx: ShotContext, out_dir: Path, *, fallback: dict[str, QWidget] | None = None) -> list[Path]:
    for module in SHOT_MODULES:
        importlib.import_module(module)
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = list(_SHOTS) or [(name, (lambda c, w=w: w)) for name, w in (fallback or {}).items()]
    written = []
    # Windows a shot creates stay referenced (in ctx.made) until the app tears its windows
    # down: letting Python free a shown window while Qt has events queued for it crashes.
    for name, fn in shots:
        try:
            widget = fn(ctx)
            if widget not in ctx.made:
                ctx.made.append(widget)
            settle()
            path = out_dir / f"{name}.png"
            if not widget.grab().save(str(path)):
                raise OSError(f"could not write {path}")
            written.append(path)
            log.info("screenshot %s", path)
        except Exception:
            log.exception("screenshot %s failed", name)
            raise
    for widget in ctx.made:
        if widget not in ctx.windows.values():
            widget.hide()
    return written
