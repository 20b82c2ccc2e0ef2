"""The kiosk's English translation is complete, compiled, and loadable even without the .qm."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

from kiosk.i18n import LanguageSwitch, TsTranslator, qm_path, ts_path
from kiosk.i18n.update import compile_qm, python_sources, tool


def test_every_ui_string_has_an_english_translation(tmp_path):
    # lupdate into an empty file lists every string in the code; each must have a finished
    # translation in the committed .ts. (Compared by source text: lupdate versions differ in
    # whether they mark a translate(..., n) call as a plural message.)
    fresh = tmp_path / "fresh.ts"
    subprocess.run([tool("pyside6-lupdate"), "-locations", "none", "-source-language", "zh_CN",
                    "-target-language", "en", *python_sources(), "-ts", str(fresh)], check=True,
                   capture_output=True)
    in_code = {m.findtext("source") for m in ET.parse(fresh).getroot().iter("message")}
    translated = set()
    for m in ET.parse(ts_path("en")).getroot().iter("message"):
        t = m.find("translation")
        forms = [f.text for f in t.iter("numerusform")] or [t.text]
        if t.get("type") != "unfinished" and all(forms):
            translated.add(m.findtext("source"))
    untranslated = sorted(in_code - translated)
    assert untranslated == [], "translate these in kiosk/i18n/kiosk_en.ts, then python -m kiosk.i18n.update"
    assert len(in_code) > 80


def test_the_compiled_qm_matches_the_ts(tmp_path, qapp):
    # Compare what the committed .qm says with a fresh compile of the .ts, message by message
    # (not byte by byte: another lrelease version may lay the file out differently).
    from PySide6.QtCore import QTranslator

    fresh = tmp_path / "kiosk_en.qm"
    compile_qm("en", fresh)
    committed, compiled = QTranslator(), QTranslator()
    assert committed.load(str(qm_path("en"))) and compiled.load(str(fresh))
    root = ET.parse(ts_path("en")).getroot()
    for context in root.iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            source = message.findtext("source")
            for n in ((1, 2) if message.get("numerus") == "yes" else (-1,)):
                want = compiled.translate(name, source, None, n)
                assert want, source
                assert committed.translate(name, source, None, n) == want, \
                    f"kiosk_en.qm is stale for {source!r}: run python -m kiosk.i18n.update"


def test_qt_translate_gives_english_and_back(qapp):
    from PySide6.QtCore import QCoreApplication

    switch = LanguageSwitch(qapp)
    assert switch.set_language("en")
    assert QCoreApplication.translate("Kiosk", "首页") == "Home"
    assert QCoreApplication.translate("Kiosk", "前面还有 %n 人", None, 1) == "1 person ahead of you"
    assert QCoreApplication.translate("Kiosk", "前面还有 %n 人", None, 3) == "3 people ahead of you"
    switch.set_language("zh_CN")
    assert QCoreApplication.translate("Kiosk", "首页") == "首页"


def test_ts_fallback_reader():
    reader = TsTranslator(ts_path("en"))
    assert reader.translate("Kiosk", "申请材料") == "Documents to bring"
    assert reader.translate("Kiosk", "no such text") == ""
