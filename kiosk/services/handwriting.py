"""Handwriting recognition (手写输入): strokes of one character -> 汉字 candidates, best first.

Offline, on the hall PC, with Zinnia (Debian `libzinnia0`) and the Tegaki simplified-Chinese
model (`tegaki-zinnia-simplified-chinese`), through Zinnia's C API with ctypes: no compiled
binding to build or ship. Where either is missing `Recognizer.open()` raises
`HandwritingUnavailable` saying which, and the kiosk runs without the pad (and logs why).

    rec = Recognizer.open()
    rec.candidates([[(50, 150), (250, 150)], [(150, 40), (150, 270)]])   -> ["十", "什", ...]

A stroke is the list of (x, y) points a finger drew, in any coordinate box: `candidates`
takes the box's size (`width`, `height`), Zinnia normalises to it. The model is memory-mapped
by Zinnia (26 MB on disk, a few MB resident).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from kiosk.errors import HallError

log = logging.getLogger(__name__)

MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")
LIBRARY_NAMES = ("libzinnia.so.0", "zinnia", "libzinnia.dll")
CANDIDATES = 10  # the pad shows at least 8
PAD_SIZE = 300  # the coordinate box strokes are usually given in

Point = tuple[float, float]
Stroke = Sequence[Point]


class HandwritingUnavailable(HallError, RuntimeError):
    """Zinnia or its model is not installed here; the message says which and how to fix it."""


def _load_library() -> ctypes.CDLL:
    tried = []
    for name in LIBRARY_NAMES:
        path = ctypes.util.find_library(name) if not name.startswith("lib") else name
        if not path:
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as exc:
            tried.append(f"{name}: {exc}")
    raise HandwritingUnavailable("the Zinnia library is not installed (Debian package libzinnia0)"
                                 + (f" [{'; '.join(tried)}]" if tried else ""))


def _declare(lib: ctypes.CDLL) -> None:
    p, c_int, c_size, c_float = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t, ctypes.c_float
    signatures = {
        "zinnia_recognizer_new": ([], p),
        "zinnia_recognizer_open": ([p, ctypes.c_char_p], c_int),
        "zinnia_recognizer_strerror": ([p], ctypes.c_char_p),
        "zinnia_recognizer_classify": ([p, p, c_size], p),
        "zinnia_recognizer_destroy": ([p], None),
        "zinnia_character_new": ([], p),
        "zinnia_character_clear": ([p], None),
        "zinnia_character_set_width": ([p, c_size], None),
        "zinnia_character_set_height": ([p, c_size], None),
        "zinnia_character_add": ([p, c_size, c_int, c_int], c_int),
        "zinnia_character_destroy": ([p], None),
        "zinnia_result_value": ([p, c_size], ctypes.c_char_p),
        "zinnia_result_score": ([p, c_size], c_float),
        "zinnia_result_size": ([p], c_size),
        "zinnia_result_destroy": ([p], None),
    }
    for name, (args, res) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res


class Recognizer:
    """One open Zinnia recognizer with its model. Thread-safe (one classification at a time)."""

    def __init__(self, lib: ctypes.CDLL, handle: int, model: Path):
        self._lib = lib
        self._handle = handle
        self._character = lib.zinnia_character_new()
        self._lock = threading.Lock()
        self.model = model

    @classmethod
    def open(cls, model: Path | str | None = None) -> Recognizer:
        model = Path(model if model is not None else MODEL)
        if not model.is_file():
            raise HandwritingUnavailable(
                f"the handwriting model {model} is missing (Debian package tegaki-zinnia-simplified-chinese)")
        lib = _load_library()
        _declare(lib)
        handle = lib.zinnia_recognizer_new()
        if not lib.zinnia_recognizer_open(handle, str(model).encode()):
            error = (lib.zinnia_recognizer_strerror(handle) or b"").decode(errors="replace")
            lib.zinnia_recognizer_destroy(handle)
            raise HandwritingUnavailable(f"Zinnia cannot open the model {model}: {error}")
        return cls(lib, handle, model)

    def candidates(self, strokes: Sequence[Stroke], *, width: float = PAD_SIZE, height: float = PAD_SIZE,
                   limit: int = CANDIDATES) -> list[str]:
        """The characters the strokes most likely are, best first ([] for no strokes)."""
        return [ch for ch, _ in self.scored(strokes, width=width, height=height, limit=limit)]

    def scored(self, strokes: Sequence[Stroke], *, width: float = PAD_SIZE, height: float = PAD_SIZE,
               limit: int = CANDIDATES) -> list[tuple[str, float]]:
        strokes = [s for s in strokes if len(s) > 0]
        if not strokes:
            return []
        if width <= 0 or height <= 0:
            raise ValueError(f"the writing box must have a size, got {width} x {height}")
        lib = self._lib
        with self._lock:
            if self._handle is None:
                raise RuntimeError("the handwriting recognizer is closed")
            c = self._character
            lib.zinnia_character_clear(c)
            lib.zinnia_character_set_width(c, int(width))
            lib.zinnia_character_set_height(c, int(height))
            for sid, stroke in enumerate(strokes):
                for x, y in stroke:
                    # Points outside the box (a finger that slid off the pad) are clamped into it.
                    xi = int(min(max(x, 0), width))
                    yi = int(min(max(y, 0), height))
                    lib.zinnia_character_add(c, sid, xi, yi)
            result = lib.zinnia_recognizer_classify(self._handle, c, limit)
            if not result:
                return []
            try:
                out = []
                for i in range(lib.zinnia_result_size(result)):
                    value = lib.zinnia_result_value(result, i)
                    if value:
                        out.append((value.decode("utf-8", errors="replace"), float(lib.zinnia_result_score(result, i))))
                return out
            finally:
                lib.zinnia_result_destroy(result)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._lib.zinnia_character_destroy(self._character)
                self._lib.zinnia_recognizer_destroy(self._handle)
                self._handle = None


_shared: Recognizer | None = None
_shared_error: str | None = None
_shared_lock = threading.Lock()


def shared_recognizer() -> Recognizer | None:
    """The kiosk's one recognizer, opened on first use; None (logged once, with why) if Zinnia
    or the model is not installed: the kiosk then offers pinyin and ABC only."""
    global _shared, _shared_error
    with _shared_lock:
        if _shared is None and _shared_error is None:
            try:
                _shared = Recognizer.open()
            except (HandwritingUnavailable, OSError, AttributeError) as exc:
                _shared_error = str(exc)
                log.warning("handwriting input is off: %s", exc)
        return _shared


def unavailable_reason() -> str | None:
    return _shared_error
