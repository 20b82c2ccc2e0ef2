"""The kiosk catalogue: listing, details, notices, reloads on content changes, views; what it
puts into its search index (the search itself: test_search_index.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.services.catalog import Catalog
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


def test_the_index_holds_each_guides_keywords_materials_and_english_name(catalog):
    hit = catalog.search("db").hits[0]
    assert hit.guide.name == "最低生活保障申请" and hit.field == "keyword" and hit.text == "低保"
    hit = next(h for h in catalog.search("hkb").hits if h.guide.name == "最低生活保障申请")
    assert hit.field == "material" and hit.text == "户口簿"
    assert catalog.search("unemploy").hits[0].guide.name == "失业登记"
    assert catalog.search("ld002").hits[0].guide.code == "LD-002"


def test_popular_guides(catalog):
    assert len(catalog.popular(4)) == 4


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
