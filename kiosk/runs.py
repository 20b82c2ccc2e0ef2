"""The hall app's recent runs, to stop a crash loop in front of residents.

systemd restarts a crashed or frozen hall app within seconds. If it crashes again and again
(a broken config value, a damaged disk, a bug), the kiosk would flash up and vanish every few
seconds. So each start is recorded in DATA_DIR/runs.json and marked clean at a clean exit;
after `CRASHES` unclean ends within `WINDOW_S`, the next start shows the calm 暂停服务
(service paused) screen instead, with the reason for staff, and tries again once the window
has passed. `yizhan doctor` reads the same file.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

CRASHES = 3
WINDOW_S = 600.0
KEEP = 20


@dataclass(frozen=True)
class Paused:
    crashes: int
    reason: str
    retry_in_s: float  # until the oldest counted crash leaves the window


class RunLog:
    def __init__(self, data_dir: Path, *, crashes: int = CRASHES, window_s: float = WINDOW_S):
        self.path = Path(data_dir) / "runs.json"
        self.crashes = crashes
        self.window_s = window_s

    def _read(self) -> list[dict]:
        try:
            runs = json.loads(self.path.read_text(encoding="utf-8"))
            return [r for r in runs if isinstance(r, dict) and isinstance(r.get("at"), int | float)]
        except (OSError, ValueError):  # none yet, or torn: a missing history must never stop the hall
            return []

    def _write(self, runs: list[dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(runs[-KEEP:], ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    def paused(self, now: float | None = None) -> Paused | None:
        """Whether to pause instead of starting: too many unclean ends lately."""
        now = time.time() if now is None else now
        recent = [r for r in self._read() if not r.get("clean") and now - r["at"] < self.window_s]
        if len(recent) < self.crashes:
            return None
        reasons = [r.get("reason") for r in recent if r.get("reason")]
        reason = reasons[-1] if reasons else "stopped without a clean exit (crashed, killed or frozen)"
        oldest_counted = recent[-self.crashes]["at"]
        return Paused(len(recent), reason, max(1.0, self.window_s - (now - oldest_counted)))

    def started(self, now: float | None = None) -> None:
        """Record a start; it counts as a crash until `ended(clean=True)`."""
        self._write([*self._read(), {"at": time.time() if now is None else now, "clean": False}])

    def ended(self, *, clean: bool, reason: str = "") -> None:
        runs = self._read()
        if runs:
            runs[-1].update(clean=clean, reason=reason[:300])
            self._write(runs)
