"""Content that every path must refuse the same way (shared by the office and hall tests)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from sync.content_files import SAMPLE_DIR

# (what, field, value, words the refusal must contain)
BAD_TEXT = [
    ("markup", "name", "<b>就业</b>登记", "网页标记"),
    ("script_link", "fees", "请先扫码 javascript:alert(1)", "javascript"),
    ("bidi_override", "name", "就业\u202e记登", "U+202E"),
]
BAD_IDS = [b[0] for b in BAD_TEXT]
OTHER_LD001 = str(uuid.UUID(int=0x1D001))  # a second guide that also says it is LD-001


def spoil_guide(data: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    return {**data, field: value}


def second_ld001(data: dict[str, Any]) -> dict[str, Any]:
    """Another record (another uid) with guide LD-001's code."""
    return {**data, "uid": OTHER_LD001, "name": "另一份就业登记"}


def folder_with(tmp: Path, field: str | None = None, value: str | None = None, *,
                duplicate: bool = False, own_uid_for_ld001: str | None = None) -> Path:
    """A copy of the sample folder with guide LD-001 spoiled, or a second LD-001 added."""
    folder = tmp / f"bundle-{uuid.uuid4().hex[:6]}"
    shutil.copytree(SAMPLE_DIR, folder)
    path = folder / "guides" / "labor.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = next(g for g in doc["guides"] if g["code"] == "LD-001")
    if field is not None:
        first[field] = value
    if duplicate:
        doc["guides"].append({**first, "uid": OTHER_LD001, "name": "另一份就业登记"})
    if own_uid_for_ld001:
        first["uid"] = own_uid_for_ld001
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder
