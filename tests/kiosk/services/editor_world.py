"""A hall with the bundled sample content and three staff accounts, for editor tests.

Building it (migrations, sample import, scrypt hashes) takes about a second, so it is built
once per test run and each test gets a fresh copy of the cache file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk.config import HallConfig
from kiosk.hall import Hall
from kiosk.services.auth import AuthService, StaffSession

PIN = "2468"
PEOPLE = (("王芳", "editor"), ("李站长", "head"), ("张敏", "clerk"))


def build_template(directory: Path) -> tuple[Path, dict[str, StaffSession]]:
    config = HallConfig()
    config.hall.data_dir = directory
    hall = Hall(config)
    auth = AuthService(hall.cache)
    for name, role in PEOPLE:
        auth.add_staff(name, role, PIN)
    people = {role: auth.login(name, PIN) for name, role in PEOPLE}
    path = hall.cache.path
    hall.close()  # the last connection closing checkpoints the WAL into the main file
    return path, people


def copy_hall(template: Path, config: HallConfig) -> Hall:
    target = config.cache_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return Hall(config)
