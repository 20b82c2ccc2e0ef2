"""The start-up snapshot: the kiosk's home screen on the wall before the rest of the app loads.

Importing SQLAlchemy and pydantic, validating the config and opening the cache take about half
a second on a kiosk PC, several times what Qt needs to put a window up. The snapshot holds what
the first home screen shows (the kiosk settings of the validated config, the service areas and
the notices) as JSON in the per-user cache directory, keyed by the config file's path, its
text and the --data-dir given. `yizhan hall` draws the home from it, then loads everything else
and swaps the live catalogue in (redrawing the home only if something changed). A missing,
stale or unreadable snapshot only means the slower start; a new one is written after every
start and at exit.

No Qt, SQLAlchemy or pydantic here: this module is imported, and the snapshot read, before them.
Its records are NamedTuples for the reason given in kiosk/services/catalog_items.py.
"""

import json
import logging
import os
import zlib
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs

from kiosk.services.catalog_items import CategoryInfo, NoticeInfo

log = logging.getLogger(__name__)

FORMAT = 2  # bump when the JSON below changes shape: older snapshots are then ignored


class KioskSettings(NamedTuple):
    """What the kiosk window needs from the hall config before its first paint."""

    hall_name: str
    timezone: str
    orientation: str
    fullscreen: bool
    language: str
    large_text: bool
    idle_seconds: int
    ui_font: str

    @classmethod
    def of(cls, config: Any) -> "KioskSettings":  # config: kiosk.config.HallConfig
        k = config.kiosk
        return cls(hall_name=config.hall.name, timezone=config.hall.timezone, orientation=k.orientation,
                   fullscreen=k.fullscreen, language=k.language, large_text=k.large_text,
                   idle_seconds=k.idle_seconds, ui_font=str(config.ui_font()))


class HomeContent(NamedTuple):
    """The service areas and notices, answering the two questions the home screen asks a catalogue."""

    areas: tuple[CategoryInfo, ...]
    current_notices: tuple[NoticeInfo, ...]

    @classmethod
    def of(cls, catalog: Any, today: date) -> "HomeContent":  # catalog: kiosk.services.catalog.Catalog
        return cls(tuple(catalog.categories()), tuple(catalog.notices(today)))

    def categories(self) -> list[CategoryInfo]:
        return list(self.areas)

    def notices(self, today: date) -> list[NoticeInfo]:
        return [n for n in self.current_notices if n.starts_on <= today <= n.ends_on]


class StartupSnapshot(NamedTuple):
    settings: KioskSettings
    home: HomeContent
    utc_offset_s: int = 0  # the hall's offset from UTC when saved

    @classmethod
    def of(cls, config: Any, catalog: Any, now: datetime) -> "StartupSnapshot":
        """What the home shows now (`now` in the hall's zone)."""
        offset = now.utcoffset()
        return cls(KioskSettings.of(config), HomeContent.of(catalog, now.date()),
                   int(offset.total_seconds()) if offset is not None else 0)

    def zone(self) -> tzinfo:
        """The hall's time zone for the first clock, without loading zoneinfo (some 3 ms): a
        fixed offset, right until a daylight-saving change, and replaced once the hall attaches."""
        return timezone(timedelta(seconds=self.utc_offset_s))


class SnapshotStore:
    """Where the snapshot of one hall config lives, and whether it still matches that config."""

    def __init__(self, config_path: Path | None, data_dir: Path | None, *, directory: Path | None = None):
        self.config_path = config_path
        self.data_dir = data_dir
        where = f"{_resolved(config_path) or 'built-in defaults'}\n{_resolved(data_dir)}"
        name = f"startup-{zlib.crc32(where.encode()):08x}.json"
        self.path = (directory or Path(platformdirs.user_cache_dir("yizhan", appauthor=False))) / name

    def key(self) -> str | None:
        """What the snapshot was made from: changes whenever the config file does; None when
        the file cannot be read (then there is no snapshot)."""
        text = ""
        if self.config_path is not None:
            try:
                text = Path(self.config_path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
        return f"{FORMAT}\n{_resolved(self.config_path)}\n{_resolved(self.data_dir)}\n{text}"

    def load(self) -> StartupSnapshot | None:
        key = self.key()
        if key is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            home = data["home"]
            return StartupSnapshot(
                settings=KioskSettings(**data["settings"]),
                home=HomeContent(
                    tuple(CategoryInfo(**c) for c in home["areas"]),
                    tuple(NoticeInfo(**{**n, "starts_on": date.fromisoformat(n["starts_on"]),
                                        "ends_on": date.fromisoformat(n["ends_on"])})
                          for n in home["current_notices"])),
                utc_offset_s=int(data["utc_offset_s"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring the start-up snapshot %s: %s", self.path, exc)
            return None

    def save(self, snapshot: StartupSnapshot) -> None:
        """Written whole or not at all (temporary file, then rename); a failure is only logged."""
        key = self.key()
        if key is None:
            return
        home = snapshot.home
        data = {"key": key, "settings": snapshot.settings._asdict(),
                "home": {"areas": [a._asdict() for a in home.areas],
                         "current_notices": [n._asdict() for n in home.current_notices]},
                "utc_offset_s": snapshot.utc_offset_s}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not save the start-up snapshot %s: %s", self.path, exc)


def _resolved(path: Path | None) -> str:
    return str(Path(path).resolve()) if path is not None else ""
