"""The kiosk catalogue and its search: pinyin, initials, typos, keywords, materials, ranking."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.services.catalog import Catalog, GuideSummary, IndexDoc, SearchIndex, normalize_query, spell
from kiosk.services.events import EventBus
from kiosk.services.links import guide_url, office_public_url, ticket_url
from sync.cache.models import ServiceGuide
from tests.kiosk.services.catalog_world import EMPTY_GUIDE_CODE, seed_catalog


@pytest.fixture
def catalog(cache):
    seed_catalog(cache)
    return Catalog(cache)


@pytest.fixture
def watched(cache):
    """A catalogue on the hall's event bus, and the list its on_changed callbacks append to."""
    seed_catalog(cache)
    bus = EventBus()
    catalog = Catalog(cache, bus)
    changed = []
    catalog.on_changed(lambda: changed.append(True))
    return catalog, bus, changed


def names(result) -> list[str]:
    return [h.guide.name for h in result.hits]


def test_categories_and_listing(catalog):
    cats = catalog.categories()
    assert [c.code for c in cats] == ["civil", "labor", "health", "disability", "safety", "culture"]
    assert cats[0].guide_count == 4
    assert [g.code for g in catalog.guides_in("civil")] == ["MZ-001", "MZ-002", "MZ-003", "MZ-004"]
    # unpublished guides are not shown anywhere
    assert "已下线事项" not in [g.name for g in catalog.guides_in("culture")]
    assert "已下线事项" not in names(catalog.search("yxx"))


@pytest.mark.parametrize("query", ["db", "dibao", "DIBAO", "di bao", "低保", "ｄｂ", "zuidi", "zdsh", "最低"])
def test_pinyin_initials_and_hanzi_find_dibao(catalog, query):
    result = catalog.search(query)
    assert result.hits, query
    assert result.hits[0].guide.name == "最低生活保障申请"


def test_ranking_name_prefix_keyword_and_mid_name(catalog):
    # "jz": the keyword 救助 spelled out whole (a synonym staff chose) comes first, then 居住证申领
    # whose name starts with j-z, then weaker matches.
    result = catalog.search("jz")
    by_name = {h.guide.name: h for h in result.hits}
    assert {h.guide.name for h in result.hits[:2]} == {"最低生活保障申请", "临时救助申请"}
    assert by_name["最低生活保障申请"].field == "keyword" and by_name["最低生活保障申请"].text == "救助"
    assert result.hits[2].guide.name == "居住证申领" and result.hits[2].field == "name"
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_name_beats_material(catalog):
    # 身份证 is only a material of 最低生活保障申请 and 临时救助申请; "sfz" finds them below names
    result = catalog.search("sf")
    assert all(h.field == "material" for h in result.hits)
    assert catalog.search("shiye").hits[0].guide.name == "失业登记"
    assert catalog.search("shiye").hits[0].field == "name"


def test_highlight_spans_cover_the_matched_characters(catalog):
    hit = catalog.search("db").hits[0]
    assert hit.field == "keyword" and hit.text == "低保" and hit.spans == ((0, 2),)
    hit = catalog.search("shenghuo").hits[0]
    assert hit.field == "name" and hit.name_spans == ((2, 4),)  # 最低[生活]保障申请
    assert "".join(hit.guide.name[a:b] for a, b in hit.name_spans) == "生活"
    hit = catalog.search("临时").hits[0]
    assert hit.name_spans == ((0, 2),)


def test_material_names_and_codes_are_searched(catalog):
    result = catalog.search("hkb")  # 户口簿
    hit = next(h for h in result.hits if h.guide.name == "最低生活保障申请")
    assert hit.field == "material" and hit.text == "户口簿"
    assert catalog.search("ld002").hits[0].guide.code == "LD-002"
    assert catalog.search("unemploy").hits[0].guide.name == "失业登记"


def test_typos_are_tolerated(catalog):
    hit = catalog.search("dibso").hits[0]  # a for s
    assert hit.guide.name == "最低生活保障申请" and hit.field == "fuzzy"
    assert catalog.search("shiyedengji").hits[0].guide.name == "失业登记"
    assert catalog.search("shiyedenji").hits[0].guide.name == "失业登记"  # g missing
    assert catalog.search("居住正").hits[0].guide.name == "居住证申领"  # wrong 汉字


@pytest.mark.parametrize("query", ["", "   ", "😀😀", "'", "x" * 500, "低保" * 250, "\x00\n\t", "🏠db🏠"])
def test_bad_input_does_not_crash(catalog, query):
    result = catalog.search(query)
    assert len(result.query) <= 40
    assert len(result.hits) <= 30


def test_emoji_are_ignored_around_a_real_query(catalog):
    assert catalog.search("🏠db🏠").hits[0].guide.name == "最低生活保障申请"


def test_no_match_gives_empty_result_and_popular_guides_exist(catalog):
    result = catalog.search("qqqqqq")
    assert result.hits == () and not result.more
    assert len(catalog.popular(4)) == 4


def test_limit_and_more(catalog):
    result = catalog.search("s", limit=2)
    assert len(result.hits) == 2 and result.more


def test_detail_of_a_full_and_an_empty_guide(catalog, cache):
    uid = catalog.guides_in("civil")[0].uid
    d = catalog.guide(uid)
    assert d.name == "最低生活保障申请" and d.business_code == "civil" and d.business_name == "民政事务业务"
    assert [m.name for m in d.materials] == ["居民身份证", "户口簿", "家庭收入证明"]
    assert d.materials[2].copies == 2 and d.materials[2].form == "copy"
    assert d.faqs == (("外地户籍可以申请吗？", "需持有本市居住证满一年。"),)
    with cache.sessions() as s:
        empty_uid = s.scalar(select(ServiceGuide.uid).where(ServiceGuide.code == EMPTY_GUIDE_CODE))
    e = catalog.guide(empty_uid)
    assert e.materials == () and e.steps == () and e.conditions == "" and e.business_code is None
    assert catalog.guide("no-such-uid") is None


def test_notices_only_valid_ones(catalog):
    from datetime import date

    titles = [n.title for n in catalog.notices(date.today())]
    assert titles == ["第四季度低保对象公示"]


def test_content_changed_rebuilds_the_index(cache, watched):
    catalog, bus, changed = watched
    assert not catalog.search("yanglao").hits
    with cache.transaction() as s:
        g = s.scalar(select(ServiceGuide).where(ServiceGuide.code == "MZ-004"))
        g.name = "养老服务补贴申请"
        uid = g.uid
    bus.publish("content.changed", kind="guide", uid=uid)
    assert changed == [True]
    assert catalog.search("yanglao").hits[0].guide.uid == uid
    assert catalog.summary(uid).name == "养老服务补贴申请"


def test_a_sync_round_reloads_the_catalogue_once_not_per_record(cache, watched):
    catalog, bus, changed = watched
    before = catalog.reloads
    with cache.transaction() as s:
        guides = s.scalars(select(ServiceGuide)).all()
        for g in guides:
            g.name += "（新版）"
    for g in guides:  # as the sync worker announces each record it applied ...
        bus.publish("content.changed", kind="guide", uid=g.uid, source="office")
    assert catalog.reloads == before and changed == []
    bus.publish("sync.done", pushed=0, pulled=len(guides))  # ... and then the end of its round
    assert catalog.reloads == before + 1 and changed == [True]
    assert all(summary.name.endswith("（新版）") for c in catalog.categories() for summary in catalog.guides_in(c.code))
    bus.publish("sync.done", pushed=3, pulled=0)  # a round that changed no content: nothing to reload
    assert catalog.reloads == before + 1


def test_views_are_counted_without_touching_updated_at(catalog, cache):
    uid = catalog.guides_in("labor")[0].uid
    with cache.sessions() as s:
        before = s.scalar(select(ServiceGuide).where(ServiceGuide.uid == uid)).updated_at
    catalog.record_view(uid)
    catalog.record_view(uid)
    assert catalog.flush_views() == 2
    with cache.sessions() as s:
        g = s.scalar(select(ServiceGuide).where(ServiceGuide.uid == uid))
        assert g.views == 2 and g.updated_at == before
    catalog.reload()
    assert catalog.popular(1)[0].uid == uid  # the most viewed guide is suggested first


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


def test_links():
    from kiosk.config import HallConfig

    config = HallConfig()
    assert office_public_url(config) == "http://127.0.0.1:8700"
    config.office.url = "http://office.example:8700"
    assert guide_url(config, "abc") == "http://office.example:8700/g/abc"
    config.office.public_url = "https://jd.example.gov.cn/yizhan"
    assert ticket_url(config, "t-1") == "https://jd.example.gov.cn/yizhan/t/t-1"
    assert guide_url("http://x/", "a/b") == "http://x/g/a%2Fb"


def test_pinyin_from_the_helper_process(cache):
    from kiosk.services import pinyin

    texts = ["银行卡挂失补办", "长者饭堂就餐登记"]  # phrase-aware readings: yin hang, zhang zhe
    assert pinyin.spell_in_subprocess(texts)
    assert pinyin.syllables("银行卡挂失补办")[:2] == ["yin", "hang"]
    assert pinyin.syllables("长者饭堂就餐登记")[:2] == ["zhang", "zhe"]
    # new text made of characters already seen needs no pypinyin at all
    assert pinyin.syllables("挂失登记") == ["gua", "shi", "deng", "ji"]


def test_catalog_with_pinyin_process_finds_the_same(cache):
    seed_catalog(cache)
    catalog = Catalog(cache, lazy_index=True, pinyin_process=True)
    catalog.build_index_in_background().join(timeout=60)
    assert catalog.search("db").hits[0].guide.name == "最低生活保障申请"
    assert catalog.search("juzhuzheng").hits[0].guide.name == "居住证申领"


def test_english_words_with_spaces(catalog):
    """Several English words (the kiosk's ABC layout has a space key) find the guide whose
    English name has them all, each highlighted."""
    result = catalog.search("minimum living")
    assert names(result)[0] == "最低生活保障申请"
    hit = result.hits[0]
    assert hit.field == "name_en" and hit.text == "Minimum living allowance"
    assert [hit.text[a:b] for a, b in hit.spans] == ["Minimum", "living"]
    assert names(catalog.search("living minim"))[0] == "最低生活保障申请"  # any order, unfinished words
    assert "最低生活保障申请" not in names(catalog.search("minimum pension"))
