"""The kiosk's English translation is complete, compiled, and loadable even without the .qm."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

from kiosk.i18n import LanguageSwitch, TsTranslator, qm_path, ts_path
from kiosk.i18n.update import compile_qm, merge, messages_in_code


def finished(ts) -> dict[tuple[str, str], list[str]]:
    """(context, source) -> translated forms, for the finished messages of a .ts."""
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        for m in context.iter("message"):
            t = m.find("translation")
            forms = [f.text for f in t.iter("numerusform")] or [t.text]
            if t.get("type") != "unfinished" and all(forms):
                out[(context.findtext("name"), m.findtext("source"))] = forms
    return out


def test_every_ui_string_has_an_english_translation():
    # every translate() call in the resident's screens, found by Python's parser (lupdate's
    # misses plural calls whose count is an attribute), has a finished translation; a plural
    # call has plural forms
    in_code = messages_in_code()
    translated = finished(ts_path("en"))
    untranslated = sorted(m.where for m in in_code if (m.context, m.source) not in translated)
    assert untranslated == [], "translate these in kiosk/i18n/kiosk_en.ts, then python -m kiosk.i18n.update"
    assert [m.source for m in in_code if m.plural and len(translated[(m.context, m.source)]) != 2] == []
    assert len(in_code) > 80 and sum(m.plural for m in in_code) >= 10


def test_update_keeps_every_translation_and_adds_new_strings(tmp_path):
    # the tool run on the committed .ts changes nothing a translator wrote: same messages,
    # same forms (it used to drop 13 translated messages, plural forms included)
    ts = tmp_path / "kiosk_en.ts"
    shutil.copy(ts_path("en"), ts)
    before = finished(ts)
    new, dropped = merge(ts, messages_in_code(), "en")
    assert (new, dropped) == (0, [])
    assert finished(ts) == before
    assert ts.read_text(encoding="utf-8") == ts_path("en").read_text(encoding="utf-8")

    # a new screen: its strings arrive unfinished, a plural one with two forms; a string that
    # turned plural keeps its text for the translator to check
    screen = tmp_path / "new_screen.py"
    screen.write_text(
        "from PySide6.QtCore import QCoreApplication as Q\n"
        "def show(box, queue):\n"
        "    box.setText(Q.translate('Kiosk', '新的提示'))\n"
        "    box.setText(Q.translate('Kiosk', '还有 %n 个窗口', None, queue.open_windows))\n"
        "    box.setText(Q.translate('Kiosk', '首页', None, queue.n))\n", encoding="utf-8")
    new, dropped = merge(ts, messages_in_code([screen]), "en")
    assert new == 2 and "申请材料" in dropped
    root = ET.parse(ts).getroot()
    messages = {m.findtext("source"): m for m in root.iter("message")}
    assert set(messages) == {"新的提示", "还有 %n 个窗口", "首页"}
    assert messages["新的提示"].find("translation").get("type") == "unfinished"
    assert messages["还有 %n 个窗口"].get("numerus") == "yes"
    assert len(list(messages["还有 %n 个窗口"].iter("numerusform"))) == 2
    assert [f.text for f in messages["首页"].iter("numerusform")] == ["Home", "Home"]
    assert messages["首页"].find("translation").get("type") == "unfinished"


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
