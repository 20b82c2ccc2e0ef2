"""The kiosk's search engine: pinyin, initials, 汉字, typos, keywords, materials, ranking.

Over the test catalogue's published guides (tests/kiosk/services/catalog_world.py) in the order
the catalogue lists them, as kiosk/services/catalog.py hands them over when no guide has views.
"""

from __future__ import annotations

import pytest

from kiosk.services.catalog_items import GuideSummary
from kiosk.services.search_index import IndexDoc, SearchIndex, normalize_query, spell
from tests.kiosk.services.catalog_world import EMPTY_GUIDE_CODE, GUIDES


@pytest.fixture(scope="module")
def index():
    """Built once: an index is read-only."""
    docs = [IndexDoc(GuideSummary(f"u{i}", code, name, name_en, category, business, i), keywords,
                     [m["name"] for m in materials])
            for i, (code, category, name, name_en, keywords, materials, business) in enumerate(GUIDES)]
    docs.append(IndexDoc(GuideSummary("empty", EMPTY_GUIDE_CODE, "空白测试事项", "", "culture", None, len(docs))))
    return SearchIndex(docs)


def names(result) -> list[str]:
    return [h.guide.name for h in result.hits]


@pytest.mark.parametrize("query", ["db", "dibao", "DIBAO", "di bao", "低保", "ｄｂ", "zuidi", "zdsh", "最低"])
def test_pinyin_initials_and_hanzi_find_dibao(index, query):
    result = index.search(query)
    assert result.hits, query
    assert result.hits[0].guide.name == "最低生活保障申请"


def test_ranking_name_prefix_keyword_and_mid_name(index):
    # "jz": the keyword 救助 spelled out whole (a synonym staff chose) comes first, then 居住证申领
    # whose name starts with j-z, then weaker matches.
    result = index.search("jz")
    by_name = {h.guide.name: h for h in result.hits}
    assert {h.guide.name for h in result.hits[:2]} == {"最低生活保障申请", "临时救助申请"}
    assert by_name["最低生活保障申请"].field == "keyword" and by_name["最低生活保障申请"].text == "救助"
    assert result.hits[2].guide.name == "居住证申领" and result.hits[2].field == "name"
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_name_beats_material(index):
    # 身份证 is only a material of 最低生活保障申请 and 临时救助申请; "sfz" finds them below names
    result = index.search("sf")
    assert all(h.field == "material" for h in result.hits)
    assert index.search("shiye").hits[0].guide.name == "失业登记"
    assert index.search("shiye").hits[0].field == "name"


def test_highlight_spans_cover_the_matched_characters(index):
    hit = index.search("db").hits[0]
    assert hit.field == "keyword" and hit.text == "低保" and hit.spans == ((0, 2),)
    hit = index.search("shenghuo").hits[0]
    assert hit.field == "name" and hit.name_spans == ((2, 4),)  # 最低[生活]保障申请
    assert "".join(hit.guide.name[a:b] for a, b in hit.name_spans) == "生活"
    hit = index.search("临时").hits[0]
    assert hit.name_spans == ((0, 2),)


def test_material_names_and_codes_are_searched(index):
    result = index.search("hkb")  # 户口簿
    hit = next(h for h in result.hits if h.guide.name == "最低生活保障申请")
    assert hit.field == "material" and hit.text == "户口簿"
    assert index.search("ld002").hits[0].guide.code == "LD-002"
    assert index.search("unemploy").hits[0].guide.name == "失业登记"


def test_typos_are_tolerated(index):
    hit = index.search("dibso").hits[0]  # a for s
    assert hit.guide.name == "最低生活保障申请" and hit.field == "fuzzy"
    assert index.search("shiyedengji").hits[0].guide.name == "失业登记"
    assert index.search("shiyedenji").hits[0].guide.name == "失业登记"  # g missing
    assert index.search("居住正").hits[0].guide.name == "居住证申领"  # wrong 汉字


@pytest.mark.parametrize("query", ["", "   ", "😀😀", "'", "x" * 500, "低保" * 250, "\x00\n\t", "🏠db🏠"])
def test_bad_input_does_not_crash(index, query):
    result = index.search(query)
    assert len(result.query) <= 40
    assert len(result.hits) <= 30


def test_emoji_are_ignored_around_a_real_query(index):
    assert index.search("🏠db🏠").hits[0].guide.name == "最低生活保障申请"


def test_no_match_gives_empty_result(index):
    result = index.search("qqqqqq")
    assert result.hits == () and not result.more


def test_limit_and_more(index):
    result = index.search("s", limit=2)
    assert len(result.hits) == 2 and result.more


def test_normalize_and_spell():
    assert normalize_query("  Di'Bao ") == "dibao"
    assert normalize_query("ＡＢ１２") == "ab12"
    sp = spell("最低生活保障")
    assert sp.full == "zuidishenghuobaozhang" and sp.initials == "zdshbz"
    assert sp.full_map[sp.full.index("sheng")] == 2


def test_index_over_many_generated_guides_keeps_the_limit():
    docs = [IndexDoc(GuideSummary(f"u{i}", f"G-{i}", f"测试事项{i}号", "", "c", None, i), ["低保"], ["身份证"])
            for i in range(500)]
    index = SearchIndex(docs)
    result = index.search("cs", limit=20)
    assert len(result.hits) == 20 and result.more
    assert [h.guide.uid for h in result.hits] == [f"u{i}" for i in range(20)]


def test_english_words_with_spaces(index):
    """Several English words (the kiosk's ABC layout has a space key) find the guide whose
    English name has them all, each highlighted."""
    result = index.search("minimum living")
    assert names(result)[0] == "最低生活保障申请"
    hit = result.hits[0]
    assert hit.field == "name_en" and hit.text == "Minimum living allowance"
    assert [hit.text[a:b] for a, b in hit.spans] == ["Minimum", "living"]
    assert names(index.search("living minim"))[0] == "最低生活保障申请"  # any order, unfinished words
    assert "最低生活保障申请" not in names(index.search("minimum pension"))
