"""Reading a TOML config file into a pydantic model, with every problem's key path and line.

Shared by the hall (kiosk/config.py) and the office server (sync/office/config.py): it lives in
`sync` so that the office server, installed with `pip install .[office]`, never imports `kiosk`.
Relative paths in a file mean: relative to that file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """A configuration file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_config(path: Path | None, model: type[BaseModel]) -> Any:
    """Read and validate a TOML config; `None` gives the built-in defaults."""
    if path is None:
        return model()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"cannot read the file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"not UTF-8 text (byte {exc.start})"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"TOML syntax error: {exc}"]) from None
    try:
        # Relative paths in the file (fonts, CA, data dir) mean: relative to the file.
        return model.model_validate(_resolve_paths(data, path.parent))
    except ValidationError as exc:
        problems = [_describe(err, text) for err in exc.errors()]
        raise ConfigError(path, sorted(problems, key=_line_of)) from None


PATH_KEYS = {"data_dir", "ui_font", "ca_file", "font_file", "sounds_dir"}


def _resolve_paths(data: Any, base: Path) -> Any:
    if isinstance(data, dict):
        return {
            k: (str(base / v) if k in PATH_KEYS and isinstance(v, str) and v and not Path(v).is_absolute()
                else _resolve_paths(v, base))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_resolve_paths(v, base) for v in data]
    return data


def _line_of(problem: str) -> int:
    m = re.match(r"line (\d+):", problem)
    return int(m.group(1)) if m else 0


def _describe(err: dict[str, Any], text: str) -> str:
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) or "(top level)"
    line = find_line(text, [p for p in err["loc"]])
    where = f"line {line}: " if line else ""
    kind = err["type"]
    if kind == "extra_forbidden":
        message = "unknown key (check the spelling against the example config)"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = err["msg"].removeprefix("Value error, ")
        if "input" in err and kind not in ("value_error",) and not isinstance(err["input"], dict):
            message += f" (got {shown_value(err['input'])})"
        elif isinstance(err.get("input"), str) and len(err["input"]) > 60:  # a check that quotes the value
            message = message.replace(repr(err["input"]), shown_value(err["input"]))
    if len(message) > 500:
        message = f"{message[:500]}… ({len(message)} characters)"
    return f"{where}{key}: {message}"


def shown_value(value: Any, limit: int = 60) -> str:
    """A value for an error message: a long one as its start and its length, never all 20 MB of it."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters as text"
    return f"{text[:limit]}… ({size})"


def find_line(text: str, loc: list[Any]) -> int | None:
    """Best-effort line number of a key path like ["board", "areas", 1, "x"] in TOML text."""
    keys = [p for p in loc if isinstance(p, str)]
    if not keys:
        return None
    header_re = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    key_re = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")
    table: list[str] = []
    best = None
    for number, line in enumerate(text.splitlines(), start=1):
        m = header_re.match(line)
        if m:
            table = [part.strip().strip("\"'") for part in m.group(1).split(".")]
            if table == keys:
                best = best or number
            continue
        m = key_re.match(line)
        if m:
            full = [*table, m.group(1).strip("\"'")]
            if full == keys:
                return number
    return best
