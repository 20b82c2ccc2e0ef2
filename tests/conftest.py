"""Shared test set-up: Qt renders offscreen; every test gets its own data directory."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

REPO = Path(__file__).resolve().parent.parent


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
