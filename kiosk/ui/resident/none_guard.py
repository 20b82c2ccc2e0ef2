"""Keep Python 3.11 alive under PySide6 6.12.0, which drops one reference to None on every
call of a void Qt method (setText, show, setObjectName, ...).

Checked here: 1000 calls of QObject.setObjectName lower sys.getrefcount(None) by 1000 with
PySide6-Essentials 6.12.0, by 0 with 6.11.3. Python 3.12+ makes None immortal, so it does not
matter there; on 3.11 the count reaches zero after some thousands of calls and the interpreter
aborts ("none_dealloc: deallocating None"): a kiosk typing search queries dies within minutes.
Pinning PySide6 below 6.12 is the real fix; until then None gets a refcount it cannot run out
of (None is never freed anyway, so the extra count costs nothing).
"""

from __future__ import annotations

import ctypes
import sys

_DONE = False
MARGIN = 1 << 40  # more void calls than a kiosk makes in centuries


def protect_none() -> None:
    global _DONE
    if _DONE or sys.version_info >= (3, 12):
        return
    ctypes.c_ssize_t.from_address(id(None)).value += MARGIN
    _DONE = True
