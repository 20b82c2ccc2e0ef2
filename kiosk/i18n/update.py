"""`python -m kiosk.i18n.update`: collect the kiosk's UI strings into the .ts and compile the .qm.

Translators edit kiosk/i18n/kiosk_en.ts (Qt Linguist or any text editor); run this again to
pick up new strings and to rebuild kiosk_en.qm.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kiosk.i18n import I18N_DIR, qm_path, ts_path

SOURCES = [I18N_DIR.parent / "ui" / "resident", I18N_DIR.parent / "ui" / "widgets"]


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit(f"{name} not found: install PySide6 (it ships {name}) into this virtualenv")
    return found


def python_sources() -> list[str]:
    return sorted(str(p) for d in SOURCES for p in d.rglob("*.py"))


def update(language: str = "en") -> None:
    subprocess.run([tool("pyside6-lupdate"), "-locations", "none", "-no-obsolete", "-source-language", "zh_CN",
                    "-target-language", language, *python_sources(),
                    "-ts", str(ts_path(language))], check=True)
    compile_qm(language, qm_path(language))


def compile_qm(language: str, target: Path) -> None:
    subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts_path(language)), "-qm", str(target)], check=True)


if __name__ == "__main__":
    update(sys.argv[1] if len(sys.argv) > 1 else "en")
