"""Pinyin input: candidates for typed letters, most used first, the hall's own words first."""

from __future__ import annotations

import pytest

from kiosk.services.pinyin_input import TABLES, PinyinInput


@pytest.fixture(scope="module")
def engine():
    e = PinyinInput.load()
    e.learn(["最低生活保障", "低保", "居住证", "残疾人证"])
    return e


def texts(engine, letters, n=8):
    return [c.text for c in engine.candidates(letters)[:n]]


def test_most_used_characters_first():
    e = PinyinInput.load()  # no guide vocabulary: the tables' own order
    assert texts(e, "de")[0] == "的"
    assert texts(e, "shi")[0] == "是"
    assert texts(e, "zai")[:2] == ["在", "再"]
    assert texts(e, "ren")[0] == "人"
    # one character, several readings: 的 is also di (目的), after the common di characters
    assert "的" in texts(e, "di", 24)
    assert texts(e, "di", 24).index("的") > texts(e, "di", 24).index("地")


def test_the_halls_words_come_first(engine):
    found = engine.candidates("dibao")
    assert found[0].text == "低保" and found[0].consumed == 5
    assert found[1].text == "低"  # a guide character before the more common 地
    assert found[1].consumed == 2  # picking it replaces "di" only
    assert texts(engine, "juzhuzheng")[0] == "居住证"


def test_initials_and_unfinished_syllables(engine):
    assert texts(engine, "db")[0] == "低保"
    assert "身份证" in texts(engine, "sfz")
    assert engine.split("shenf") == ["shen", "f"]
    assert "身份" in texts(engine, "shenf")
    # "zh" begins zhang, zheng, zhu...: their characters, not words with initials z + h
    assert all(len(t) == 1 for t in texts(engine, "zh"))
    assert "中" in texts(engine, "zh", 24)


def test_at_least_eight_candidates_for_any_syllable(engine):
    for syl in ["a", "ba", "ma", "zhuang", "lv", "nv", "xian", "er"]:
        assert len(engine.candidates(syl)) >= 8, syl


def test_not_pinyin_gives_nothing_or_first_letter(engine):
    assert engine.candidates("") == []
    assert engine.candidates("123 !") == []
    assert engine.candidates("v") == []
    assert engine.candidates("DiBao")[0].text == "低保"  # capitals from the ABC layout too


def test_missing_table_says_which(tmp_path):
    with pytest.raises(FileNotFoundError, match="make_candidates.py"):
        PinyinInput.load(tmp_path)


def test_tables_are_committed_with_their_source():
    head = (TABLES / "chars.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert "wordfreq" in head and "pypinyin" in head
    assert (TABLES / "LICENSE.txt").is_file()
