"""The hall, without Qt: configuration, the local cache and the domain services, wired once.

The Qt app (kiosk/app.py), the command line and the tests all build a `Hall`; widgets only
show its state and call its services.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from kiosk.config import HallConfig
from kiosk.services.events import EventBus
from sync.cache.db import Cache, open_cache

log = logging.getLogger(__name__)


class Hall:
    def __init__(self, config: HallConfig, cache: Cache | None = None):
        self.config = config
        self.tz = ZoneInfo(config.hall.timezone)
        self.cache = cache or open_cache(config.cache_path())
        self.events = EventBus()
        # Filled in by the app's wiring when present; screens show their status() if set.
        self.sync = None  # sync.client.SyncWorker
        self.sync_starting = False  # while start_sync connects in the background: no status to show yet
        self.board = None  # display.link.BoardLink
        if self.cache.recovery:
            log.error(
                "the cache was damaged and rebuilt; the damaged copy is kept at %s",
                self.cache.recovery.damaged_copy,
            )
        if self.cache.is_empty():
            self.seed_sample_content()

    def seed_sample_content(self) -> None:
        """A new or rebuilt cache starts with the bundled sample; the office's copy replaces it."""
        from kiosk.services.content import import_bundle
        from sync.content import SAMPLE_DIR, load_bundle

        bundle = load_bundle(SAMPLE_DIR)
        with self.cache.transaction() as session:
            import_bundle(session, bundle)
        log.info("loaded the bundled sample content from %s", SAMPLE_DIR)

    def close(self) -> None:
        if self.sync is not None:
            self.sync.stop()  # also ends the embedded office server, if one was started
        self.cache.close()
