"""`python -m kiosk.i18n.update`: collect the kiosk's UI strings into the .ts and compile the .qm.

Translators edit kiosk/i18n/kiosk_en.ts (Qt Linguist or any text editor); run this again to
pick up new strings and to rebuild kiosk_en.qm.

The strings are found with Python's own parser, not pyside6-lupdate: lupdate's Python reader
misses `translate(ctx, text, None, n)` when `n` is an attribute (`cat.guide_count`) and never
marks such a call as a plural message, so running it dropped 13 translated messages, plural
forms included. Every `<anything>.translate("Context", "literal", ...)` call under SOURCES is a
message; with a fourth argument (or `n=`) it is a plural one. Existing translations are kept;
new messages are added as unfinished; messages no longer in the code are dropped (and named).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as _escape

from kiosk.i18n import I18N_DIR, qm_path, ts_path

SOURCES = [I18N_DIR.parent / "ui"]
CONTEXTS = ("Kiosk", "Input")  # what residents read; the staff's consoles stay in Chinese


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    plural: bool
    where: str  # file:line of its first use, for error messages


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit(f"{name} not found: install PySide6 (it ships {name}) into this virtualenv")
    return found


def python_sources() -> list[Path]:
    return sorted(p for d in SOURCES for p in d.rglob("*.py"))


def messages_in(path: Path) -> list[Message]:
    """The translate() calls of one file whose context and text are literals, in file order."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "translate" and len(node.args) >= 2):
            continue
        context, source = node.args[0], node.args[1]
        if not (isinstance(context, ast.Constant) and isinstance(context.value, str)
                and isinstance(source, ast.Constant) and isinstance(source.value, str)):
            continue
        if context.value not in CONTEXTS:
            continue
        plural = len(node.args) >= 4 or any(k.arg == "n" for k in node.keywords)
        found.append(Message(context.value, source.value, plural, f"{path}:{node.lineno}"))
    return sorted(found, key=lambda m: int(m.where.rsplit(":", 1)[1]))


def messages_in_code(paths: list[Path] | None = None) -> list[Message]:
    """Every message once (first use wins), in the order of the files and lines that use it."""
    seen: dict[tuple[str, str], Message] = {}
    for path in paths if paths is not None else python_sources():
        for m in messages_in(path):
            earlier = seen.get((m.context, m.source))
            if earlier is None:
                seen[(m.context, m.source)] = m
            elif earlier.plural != m.plural:
                raise SystemExit(f"{m.where}: {m.source!r} is translated as a plural here and not at "
                                 f"{earlier.where} (or the other way round): use one form")
    return list(seen.values())


def escape(text: str) -> str:
    """XML text, with spaces other than the plain one as character references (as lupdate writes them)."""
    return "".join(f"&#x{ord(ch):x};" if ch.isspace() and ch != " " else ch for ch in _escape(text))


def _translation(old: ET.Element | None, plural: bool) -> tuple[list[str], bool]:
    """The message's translated form(s) and whether they are finished, from the old translation."""
    forms = [f.text or "" for f in old.iter("numerusform")] if old is not None else []
    text = (forms[0] if forms else old.text or "") if old is not None else ""
    finished = old is not None and old.get("type") != "unfinished"
    if plural and not forms:  # was singular: the translator checks the plural
        forms, finished = [text, text], False
    elif not plural:
        forms, finished = [text], finished and len(forms) <= 1
    return forms, finished and all(forms)


def _lines(m: Message, old: ET.Element | None) -> list[str]:
    """One <message> as lupdate lays it out (so the file's diff shows only what changed)."""
    forms, finished = _translation(old, m.plural)
    unfinished = "" if finished else ' type="unfinished"'
    lines = ['    <message numerus="yes">' if m.plural else "    <message>",
             f"        <source>{escape(m.source)}</source>"]
    if m.plural:
        lines.append(f"        <translation{unfinished}>")
        lines += [f"            <numerusform>{escape(f)}</numerusform>" for f in forms]
        lines.append("        </translation>")
    else:
        lines.append(f"        <translation{unfinished}>{escape(forms[0])}</translation>")
    return lines + ["    </message>"]


def merge(ts: Path, found: list[Message], language: str) -> tuple[int, list[str]]:
    """Write `ts` with exactly the messages in `found`; (new messages, dropped sources)."""
    old: dict[tuple[str, str], ET.Element | None] = {}  # in the file's order
    if ts.exists():
        for context in ET.parse(ts).getroot().iter("context"):
            for m in context.iter("message"):
                old[(context.findtext("name") or "", m.findtext("source") or "")] = m.find("translation")
    # the file's order first, new messages after (a small diff for the translator's review)
    place = {key: i for i, key in enumerate(old)}
    by_context: dict[str, list[Message]] = {}
    for m in sorted(found, key=lambda m: place.get((m.context, m.source), len(place))):
        by_context.setdefault(m.context, []).append(m)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             f'<TS version="2.1" language="{language}" sourcelanguage="zh_CN">']
    for context, messages in by_context.items():
        lines += ["<context>", f"    <name>{escape(context)}</name>"]
        for m in messages:
            lines += _lines(m, old.get((m.context, m.source)))
        lines.append("</context>")
    ts.write_text("\n".join([*lines, "</TS>", ""]), encoding="utf-8")
    keys = {(m.context, m.source) for m in found}
    return sum(k not in old for k in keys), sorted(s for (c, s) in old if (c, s) not in keys)


def update(language: str = "en") -> None:
    new, dropped = merge(ts_path(language), messages_in_code(), language)
    print(f"{ts_path(language)}: {new} new message(s) to translate")
    for source in dropped:
        print(f"  dropped (no longer in the code): {source}")
    compile_qm(language, qm_path(language))


def compile_qm(language: str, target: Path) -> None:
    subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts_path(language)), "-qm", str(target)], check=True)


if __name__ == "__main__":
    update(sys.argv[1] if len(sys.argv) > 1 else "en")
