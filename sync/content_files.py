"""The content bundle's files: a folder of YAML that hall staff (or the street office) edit
with any text editor, read into a checked ContentBundle and written back.

    hall.yaml                 businesses:, windows:, notices:, disclosures:, staff:
    guides/<category>.yaml    category: (one mapping) and guides: (a list)

`load_bundle` checks everything and reports every problem at once as
`file:line: entry <which> field <dotted.path>: message`, so a person can fix a whole file in
one go; `dump_bundle` writes the same layout back. The records and their checks are in
sync/content.py; this module knows where they sit in the files. Plain Python: no Qt, no database.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sync.content import (
    BusinessType,
    Category,
    ContentBundle,
    ContentError,
    Disclosure,
    Guide,
    Notice,
    StaffSeed,
    Window,
    cross_check,
    problem_of,
)
from sync.content_rules import text_problems  # the editor's text rules, shared by every path

# The bundled sample content (assets/ sits at the repo root, next to sync/).
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "assets" / "sample"

HALL_FILE = "hall.yaml"
GUIDES_DIR = "guides"


# --- loading -------------------------------------------------------------------------------



@dataclass
class _Source:
    """Where one entry came from, to turn a field path into a file line."""

    path: Path
    node: yaml.Node  # the entry's own node (normally a mapping)
    label: str  # e.g. "guide MZ-001" or "guide #3"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    """The value node under a key (mapping) or index (sequence), if the file has it."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def _locate(node: yaml.Node, path: Sequence[str | int]) -> int:
    """Line of the deepest node along `path` (a missing field points at its parent entry)."""
    for key in path:
        child = _child(node, key)
        if child is None:
            break
        node = child
    return _line(node)


def _dotted(path: Sequence[str | int]) -> str:
    # List positions count from 1 for people: materials.2.copies is the second material.
    return ".".join(str(p + 1) if isinstance(p, int) else p for p in path)



def _message(err: dict[str, Any]) -> str:
    """A pydantic error for a file or the command line: Chinese first, English in brackets."""
    return problem_of(err).bilingual()


def _format(path: Path, line: int, label: str | None, field: Sequence[str | int], message: str) -> str:
    where = f"{path}:{line}:"
    if label:
        where += f" entry {label}"
    if field:
        where += f" field {_dotted(field)}"
    return f"{where}: {message}"


def _parse(path: Path, problems: list[str]) -> tuple[yaml.Node | None, Any]:
    """Read one YAML file into (node tree with line marks, plain data); None on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}:1: 文件不是 UTF-8 编码 (file is not UTF-8: {exc.reason})")
        return None, None
    except OSError as exc:
        problems.append(f"{path}: 无法读取 (cannot read: {exc.strerror})")
        return None, None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(f"{path}:1: 文件是空的 (file is empty)")
            return None, None
        _check_duplicate_keys(path, node, problems)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        context = exc.context or ""
        if exc.context_mark is not None and mark is not exc.context_mark:
            context += f" (started at line {exc.context_mark.line + 1})"
        what = " ".join(p for p in (context, exc.problem) if p)
        problems.append(f"{where}: YAML 格式错误 (YAML syntax error): {what}")
        return None, None
    except yaml.YAMLError as exc:
        problems.append(f"{path}: YAML 格式错误 (YAML syntax error): {exc}")
        return None, None
    finally:
        loader.dispose()


def _check_duplicate_keys(path: Path, node: yaml.Node, problems: list[str]) -> None:
    # PyYAML silently keeps the last of two equal keys; in a guide that loses content.
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        problems.append(f"{path}:{_line(k)}: 键 {k.value} 重复 (duplicate key {k.value!r})")
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _top_level(path: Path, node: yaml.Node, data: Any, allowed: dict[str, type],
               problems: list[str]) -> dict[str, Any] | None:
    """Check a file's top-level keys; returns the mapping or None if unusable."""
    if not isinstance(data, dict):
        problems.append(f"{path}:{_line(node)}: 文件顶层应为键值映射，包含 {', '.join(allowed)} "
                        f"(top level must be a mapping with {', '.join(allowed)})")
        return None
    for key, value in data.items():
        key_line = _locate(node, [str(key)])
        if key not in allowed:
            problems.append(f"{path}:{key_line}: 未知的顶层键 {key}，应为 {', '.join(allowed)} "
                            f"(unknown top-level key)")
        elif value is not None and not isinstance(value, allowed[key]):
            kind = "列表 (a list)" if allowed[key] is list else "键值映射 (a mapping)"
            problems.append(f"{path}:{key_line}: {key} 应为{kind}")
    return data


class _Collector:
    """Validates entries one by one, remembering where each valid one came from."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.items: dict[str, list[Any]] = {s: [] for s in
                                            ("categories", "guides", "businesses", "windows", "notices",
                                             "disclosures", "staff")}
        self.sources: dict[str, list[_Source]] = {s: [] for s in self.items}
        # Guide files whose category block is broken: their guides' category is not re-reported.
        self.bad_category_files: set[Path] = set()
        # Codes of entries that failed their own checks: references to them are not re-reported.
        self.failed_codes: set[tuple[str, str]] = set()

    def add(self, section: str, model: type[BaseModel], data: Any, source: _Source) -> BaseModel | None:
        said = set()
        for loc, message in text_problems(data):
            said.add(tuple(loc))
            self.problems.append(_format(source.path, _locate(source.node, loc), source.label, loc, str(message)))
        failed = bool(said)
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            failed = True
            for err in exc.errors():
                loc = tuple(err["loc"])
                if loc in said:
                    continue  # one message per field
                line = _locate(source.node, loc)
                self.problems.append(_format(source.path, line, source.label, loc, _message(err)))
        if failed:
            if isinstance(data, dict) and isinstance(data.get("code"), str):
                self.failed_codes.add((section, data["code"].strip()))
            return None
        self.items[section].append(item)
        self.sources[section].append(source)
        return item


def _label(kind: str, entry: Any, key: str, position: int) -> str:
    ident = entry.get(key) if isinstance(entry, dict) else None
    if isinstance(ident, str | int) and not isinstance(ident, bool) and str(ident).strip():
        return f"{kind} {str(ident).strip()}"
    return f"{kind} #{position + 1}"


def _entries(collector: _Collector, path: Path, node: yaml.Node, data: dict[str, Any], key: str,
             section: str, kind: str, ident: str, model: type[BaseModel]) -> None:
    entries = data.get(key)
    if not isinstance(entries, list):
        return  # missing or already reported by _top_level
    list_node = _child(node, key)
    for i, entry in enumerate(entries):
        entry_node = _child(list_node, i) if list_node is not None else None
        source = _Source(path, entry_node or node, _label(kind, entry, ident, i))
        collector.add(section, model, entry, source)


def _load_hall(collector: _Collector, path: Path) -> None:
    if not path.is_file():
        collector.problems.append(f"{path}: 缺少文件 hall.yaml (missing: businesses, windows, notices, staff)")
        return
    node, data = _parse(path, collector.problems)
    if node is None:
        return
    data = _top_level(path, node, data, {"businesses": list, "windows": list, "notices": list,
                                         "disclosures": list, "staff": list}, collector.problems)
    if data is None:
        return
    _entries(collector, path, node, data, "businesses", "businesses", "business", "code", BusinessType)
    _entries(collector, path, node, data, "windows", "windows", "window", "number", Window)
    _entries(collector, path, node, data, "notices", "notices", "notice", "title", Notice)
    _entries(collector, path, node, data, "disclosures", "disclosures", "disclosure", "title", Disclosure)
    _entries(collector, path, node, data, "staff", "staff", "staff", "name", StaffSeed)


def _load_guides_file(collector: _Collector, path: Path) -> None:
    node, data = _parse(path, collector.problems)
    if node is None:
        return
    data = _top_level(path, node, data, {"category": dict, "guides": list}, collector.problems)
    if data is None:
        return
    category_code = path.stem
    cat_data = data.get("category")
    cat_node = _child(node, "category")
    if not isinstance(cat_data, dict):
        collector.bad_category_files.add(path)
    if cat_data is None:
        collector.problems.append(f"{path}:{_line(node)}: 缺少 category: 类别信息 (missing the category mapping)")
    elif isinstance(cat_data, dict):
        source = _Source(path, cat_node or node, _label("category", cat_data, "code", 0))
        category = collector.add("categories", Category, cat_data, source)
        if category is None:
            collector.bad_category_files.add(path)
        elif category.code != path.stem:
            collector.bad_category_files.add(path)
            collector.problems.append(_format(path, _locate(source.node, ["code"]), source.label, ["code"],
                                              f"类别编码应与文件名一致: {path.stem} "
                                              f"(the file must be named {category.code}.yaml)"))
    entries = data.get("guides")
    if not isinstance(entries, list):
        if entries is None and "guides" not in data:
            collector.problems.append(f"{path}:{_line(node)}: 缺少 guides: 事项列表 (missing the guides list)")
        return
    list_node = _child(node, "guides")
    for i, entry in enumerate(entries):
        entry_node = _child(list_node, i) if list_node is not None else None
        source = _Source(path, entry_node or node, _label("guide", entry, "code", i))
        if isinstance(entry, dict):
            if "category" in entry:
                collector.problems.append(_format(path, _locate(source.node, ["category"]), source.label,
                                                  ["category"], "类别由所在文件决定，请删除此字段 "
                                                  "(the category is the file the guide is in; remove this)"))
                continue
            entry = {**entry, "category": category_code}
        collector.add("guides", Guide, entry, source)


def _file_line(problem: str) -> tuple[str, int]:
    # Report in reading order: by file, then by line.
    m = re.match(r"(.*?):(\d+):", problem)
    return (m.group(1), int(m.group(2))) if m else (problem.split(":")[0], 0)


def load_bundle(directory: Path | str) -> ContentBundle:
    """Read and check a content folder; raises ContentError listing every problem found."""
    directory = Path(directory)
    collector = _Collector()
    if not directory.is_dir():
        raise ContentError([f"{directory}: 不是文件夹 (not a directory)"])

    for stray in sorted(directory.glob("*.y*ml")):
        if stray.name != HALL_FILE:
            collector.problems.append(f"{stray}: 未知文件，事项应放在 {GUIDES_DIR}/ 下 "
                                      f"(unknown file; guides belong in {GUIDES_DIR}/<category>.yaml)")
    _load_hall(collector, directory / HALL_FILE)

    guides_dir = directory / GUIDES_DIR
    guide_files = sorted(guides_dir.glob("*.yaml")) if guides_dir.is_dir() else []
    if not guide_files:
        collector.problems.append(f"{guides_dir}: 没有事项文件 (no guides/<category>.yaml files)")
    for stray in sorted(guides_dir.glob("*.yml")) if guides_dir.is_dir() else []:
        collector.problems.append(f"{stray}: 请使用 .yaml 扩展名 (use the .yaml extension)")
    for path in guide_files:
        _load_guides_file(collector, path)

    items, sources = collector.items, collector.sources
    for p in cross_check(**items):
        source = sources[p.section][p.index]
        if p.field == ("category",) and source.path in collector.bad_category_files:
            continue  # the broken category block is already reported
        if p.ref is not None and p.ref in collector.failed_codes:
            continue  # the referenced record is broken and already reported
        collector.problems.append(_format(source.path, _locate(source.node, p.field), source.label,
                                          p.field, p.message))
    if collector.problems:
        raise ContentError(sorted(collector.problems, key=_file_line))
    return ContentBundle(**items)


# --- writing -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Readable YAML: indented lists, multi-line text as | blocks, no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    # Short lists of words (keywords, a window's businesses) read best on one line.
    flat = all(isinstance(v, str | int) and not isinstance(v, bool) and "\n" not in str(v) for v in value)
    short = sum(len(str(v)) + 2 for v in value) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bool(value) and flat and short)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)

_HEADER = "# 一站 Yizhan 内容文件，格式说明见 assets/sample/README.md\n"


def _yaml_text(data: dict[str, Any]) -> str:
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100,
                     default_flow_style=False)
    return _HEADER + body


def _write_atomic(path: Path, text: str) -> None:
    # Write then rename: an interrupted export never leaves half a file behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(model: BaseModel, **kwargs: Any) -> dict[str, Any]:
    # Defaults (empty notes, copies: 1, ...) are left out to keep files short; uids always stay.
    return model.model_dump(mode="python", exclude_defaults=True, **kwargs)


def dump_bundle(bundle: ContentBundle, directory: Path | str) -> Path:
    """Write `bundle` as hall.yaml + guides/<category>.yaml into `directory`; returns it.

    Refuses (before writing anything) if the folder holds guide files for other categories,
    since loading the folder afterwards would mix them in.
    """
    directory = Path(directory)
    guides_dir = directory / GUIDES_DIR
    wanted = {f"{c.code}.yaml" for c in bundle.categories}
    if guides_dir.is_dir():
        others = sorted(p.name for p in guides_dir.glob("*.y*ml") if p.name not in wanted)
        if others:
            raise ContentError([f"{guides_dir}: 已有其他类别文件 {', '.join(others)}，请导出到空文件夹 "
                                "(folder holds other guide files; export to an empty folder)"])
    guides_dir.mkdir(parents=True, exist_ok=True)

    for category in bundle.categories:
        data = {
            "category": _plain(category),
            "guides": [_plain(g, exclude={"category"}) for g in bundle.guides_in(category.code)],
        }
        _write_atomic(guides_dir / f"{category.code}.yaml", _yaml_text(data))
    hall = {
        "businesses": [_plain(b) for b in bundle.businesses],
        "windows": [_plain(w) for w in bundle.windows],
        "notices": [_plain(n) for n in bundle.notices],
        **({"disclosures": [_plain(d) for d in bundle.disclosures]} if bundle.disclosures else {}),
        "staff": [_plain(s) for s in bundle.staff],
    }
    _write_atomic(directory / HALL_FILE, _yaml_text(hall))
    return directory
