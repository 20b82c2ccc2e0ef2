"""One validation for every way content comes in: the hall editor, `yizhan content import`,
`yizhan office publish`, the office API and a hall's push.

Content is plain text. Qt labels interpret anything that looks like HTML as rich text, the
office's pages show it to residents' phones, and bidi overrides (U+202E) make a text read
differently from what it says. So markup, script links and invisible control characters are
refused here, before anything is stored, whichever path the record takes.

`record_problems(kind, data)` returns every problem of one record, keyed by dotted field path
("materials.0.name"; "" = the record as a whole). `key_of` gives the business key (a guide's
code, a window's number) that must be unique among the records one hall receives.
Plain Python: no Qt, no database.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

import sync.content as content_models
from sync.problems import Invalid, invalid

KINDS: dict[str, type[BaseModel]] = {
    "guide": content_models.Guide,
    "category": content_models.Category,
    "business_type": content_models.BusinessType,
    "window": content_models.Window,
    "notice": content_models.Notice,
    "disclosure": content_models.Disclosure,  # 政务公开 / 财务公开 tables
}
# The bundle's sections and the kinds of record they hold.
SECTION_KINDS = {"guides": "guide", "categories": "category", "businesses": "business_type",
                 "windows": "window", "notices": "notice", "disclosures": "disclosure", "staff": "staff"}
KIND_NAMES = {"guide": "办事指南", "category": "类别", "business_type": "业务类型", "window": "窗口",
              "notice": "公示", "disclosure": "公示表"}
# The unique business key besides the uid: two records of a kind with the same key cannot both
# reach one hall (its cache refuses the second, so residents would never see it).
KEYS = {"guide": "code", "category": "code", "business_type": "code", "window": "number"}

# Fields that may hold several lines; everywhere else a line break is refused.
MULTILINE = {"legal_basis", "conditions", "special_steps", "fees", "body", "a", "notes"}
PHONE_FIELDS = {"phone", "complaint_phone"}

# Anything above this is refused outright, even as a draft: nobody types a 20,000-character field.
HARD_LIMIT = 20_000

_MARKUP_RE = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>?|&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z]{2,8});")
_SCHEME_RE = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_SAFE_SCHEMES = {"http", "https"}
_BAD_SCHEMES = {"javascript", "vbscript", "data", "file", "ftp", "about", "blob", "mailto", "tel", "ws", "wss"}
_PHONE_NOTE_RE = re.compile(r"[（(][^（）()]*[）)]")
_PHONE_RE = re.compile(r"[0-9+\-\s、/,，;；转]*(ext\.?)?[0-9\-\s]*")
# Zero-width and direction marks, bidi embeddings/overrides/isolates (U+202A–U+202E,
# U+2066–U+2069), interlinear annotation marks: invisible, and some reorder what is shown.
_INVISIBLE = {"\u200b", "\u200e", "\u200f", "\u2028", "\u2029", "\ufeff", "\u00ad"} | {
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xFFF9, 0xFFFC)]}


def text_problem(text: str, key: str) -> Invalid | None:
    """Why a piece of text may not be stored (or None): markup, script links, control chars."""
    if len(text) > HARD_LIMIT:
        return invalid("far_too_long", length=len(text), most=HARD_LIMIT)
    for ch in text:
        if ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in _INVISIBLE:
            return invalid("control_character", code_point=f"{ord(ch):04X}")
    if "\n" in text and key not in MULTILINE:
        return invalid("one_line")
    if "\t" in text and key not in MULTILINE:
        return invalid("no_tab")
    match = _MARKUP_RE.search(text)
    if match:
        return invalid("markup", markup=match.group(0)[:20])
    for scheme_match in _SCHEME_RE.finditer(text):
        scheme = scheme_match.group(1).lower()
        if scheme in _SAFE_SCHEMES:
            continue
        if scheme in _BAD_SCHEMES or scheme_match.group(2):
            return invalid("link_scheme", scheme=scheme)
    return None


def phone_problem(text: str) -> Invalid | None:
    """Phone fields: digits with - + ( ) 转 and separators, an optional note in brackets."""
    if not text:
        return None
    bare = _PHONE_NOTE_RE.sub("", text).strip()
    digits = sum(c.isdigit() for c in bare)
    if digits < 3 or not _PHONE_RE.fullmatch(bare):
        return invalid("bad_phone")
    return None


def walk_strings(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string inside a record, with its path."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [item for k, v in value.items() for item in walk_strings(v, (*path, str(k)))]
    if isinstance(value, list | tuple):
        return [item for i, v in enumerate(value) for item in walk_strings(v, (*path, i))]
    return []


def dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in path)


def last_key(path: tuple[str | int, ...]) -> str:
    keys = [p for p in path if isinstance(p, str)]
    return keys[-1] if keys else ""


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    """Line endings to \\n and surrounding spaces trimmed (as the pydantic models do)."""

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(copy.deepcopy(data))


def text_problems(data: Any) -> list[tuple[tuple[str | int, ...], Invalid]]:
    """The text rules over every string of a record: [(field path, problem)], first per field."""
    problems = []
    for path, text in walk_strings(data):
        problem = text_problem(text, last_key(path))
        if problem is None and len(path) == 1 and path[0] in PHONE_FIELDS:
            problem = phone_problem(text.strip())
        if problem:
            problems.append((path, problem))
    return problems


def record_problems(kind: str, data: Any) -> dict[str, Invalid]:
    """Every problem with one record, keyed by dotted field path ("" = the record as a whole);
    each a code and parameters, worded by whoever shows it (sync/problems.py)."""
    model = KINDS.get(kind)
    if model is None:
        return {"": invalid("unknown_kind", kind=kind, kinds=", ".join(KINDS))}
    if not isinstance(data, dict):
        return {"": invalid("not_mapping", value=type(data).__name__)}
    data = normalize(data)
    errors: dict[str, Invalid] = {}
    for path, problem in text_problems(data):
        errors.setdefault(dotted(path), problem)
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            errors.setdefault(dotted(err["loc"]), content_models.problem_of(err))
    return errors


def checked_record(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The record's canonical JSON form; call only once `record_problems` found nothing."""
    return KINDS[kind].model_validate(normalize(data)).model_dump(mode="json")


def record_label(kind: str, data: Any) -> str:
    """How a person names a record in an error: "办事指南 LD-001 (guide)", "窗口 3 (window)"."""
    ident = None
    if isinstance(data, dict):
        for key in ("code", "number", "title", "name"):
            if data.get(key) not in (None, ""):
                ident = data[key]
                break
    return f"{KIND_NAMES.get(kind, kind)} {ident if ident is not None else '?'} ({kind})"


def describe(kind: str, data: Any, errors: Mapping[str, Invalid], *, limit: int = 5) -> str:
    """One line naming the record and each field's problem, for a log, a CLI or an HTTP answer."""
    parts = [f"field {field or '(record)'}: {message}" for field, message in list(errors.items())[:limit]]
    more = f"; … {len(errors) - limit} more" if len(errors) > limit else ""
    return f"{record_label(kind, data)}: {'; '.join(parts)}{more}"


def key_of(kind: str, data: Any) -> tuple[str, Any] | None:
    """(key field, value) that must be unique among the records of `kind` one hall receives."""
    key = KEYS.get(kind)
    if key is None or not isinstance(data, dict) or data.get(key) is None:
        return None
    return key, data[key]
