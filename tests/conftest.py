"""Shared test set-up: Qt renders offscreen; garbage is collected on the main thread only;
every test gets its own data directory."""

import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from kiosk.ui.gui_gc import collect_if_due, collect_on_gui_thread  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# Tests run the hall's worker threads (LAN API server, AnyIO workers, sync, board link) next to
# Qt widgets, as the hall app does, so they collect garbage as the app does: on the main thread
# only. Left automatic, a collection started in a worker frees a finished test's widgets off the
# GUI thread, and PySide6 crashes the run at random (kiosk/ui/gui_gc.py).
GC_THRESHOLDS = gc.get_threshold()
gc.disable()


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's application, collecting garbage from a timer on its thread while tests wait."""
    collect_on_gui_thread(qapp)
    return qapp


@pytest.fixture(autouse=True)
def _collect_between_tests():
    yield
    collect_if_due(GC_THRESHOLDS)


@pytest.fixture
def hall_config(tmp_path):
    """Built-in defaults with the cache in a temporary directory and no fullscreen."""
    from kiosk.config import HallConfig

    config = HallConfig()
    config.hall.data_dir = tmp_path / "data"
    config.kiosk.fullscreen = False
    return config


@pytest.fixture
def cache(tmp_path):
    """An empty, migrated hall cache."""
    from sync.cache.db import open_cache

    c = open_cache(tmp_path / "cache.sqlite3")
    yield c
    c.close()
