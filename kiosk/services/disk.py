"""Free disk space where the hall's data lives: staff are warned well before the cache can no
longer write (a full disk would stop ticket issue). The console shows the warning on its status
line; `yizhan doctor` fails under FAIL_MB."""

from __future__ import annotations

import shutil
from pathlib import Path

WARN_MB = 1024  # a day's tickets and events take well under 1 MB; backups and logs are the growth
FAIL_MB = 200


def existing_parent(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists (the data directory may not yet)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_mb(path: Path) -> int:
    return shutil.disk_usage(existing_parent(path)).free // 2**20


def low_disk_text(path: Path, warn_mb: int | None = None) -> str:
    """The console's warning when the disk of `path` runs low (under WARN_MB); "" when there is room."""
    warn_mb = WARN_MB if warn_mb is None else warn_mb
    try:
        free = free_mb(path)
    except OSError as exc:
        return f"磁盘：无法读取剩余空间（{exc.strerror}）"
    if free >= warn_mb:
        return ""
    return f"磁盘空间不足：仅剩 {free} MB，请联系技术人员清理 (low disk)"
