"""The bundled sample content models the place we build for: a community workstation in
Wuhou District, Chengdu (成都市武侯区) — its six areas, Sichuan and Chengdu rules, 天府通办,
028 numbers marked as examples, and doubtful regulation names written as examples."""

from __future__ import annotations

import re

from sync.content_files import SAMPLE_DIR, load_bundle
from sync.content_rules import walk_strings

SIX_AREAS = ["劳动保障", "民政", "计生卫生", "残疾人服务", "综治", "文体科教"]


def all_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DIR.rglob("*.yaml")))


def test_the_six_areas_of_the_workstation():
    bundle = load_bundle(SAMPLE_DIR)
    assert [c.name for c in bundle.categories] == SIX_AREAS
    assert [b.name for b in bundle.businesses] == [f"{a}业务" for a in SIX_AREAS]
    assert "成都市武侯区" in (SAMPLE_DIR / "hall.yaml").read_text(encoding="utf-8")


def test_no_other_province_and_online_services_in_sichuan():
    text = all_text()
    for other in ("0755", "广东", "深圳", "粤省事", "i深圳"):
        assert other not in text, other
    bundle = load_bundle(SAMPLE_DIR)
    online = [g.code for g in bundle.guides if "天府通办" in g.model_dump_json()]
    assert len(online) >= 5
    assert "四川省" in text and "成都市" in text and "武侯区" in text


def test_phone_numbers_are_028_examples():
    bundle = load_bundle(SAMPLE_DIR)
    for g in bundle.guides:
        for phone in (g.phone, g.complaint_phone):
            assert phone.startswith("028-") and "示例" in phone, (g.code, phone)
    for _path, text in walk_strings(bundle.model_dump(mode="json")):
        for number in re.findall(r"0\d{2,3}-\d{7,8}", text):
            assert number.startswith("028-"), number


def test_doubtful_regulations_are_marked_as_examples():
    # A provincial or city rule without a title in 《》 is one we could not confirm: it must say 示例.
    for line in all_text().splitlines():
        for rule in re.findall(r"(?:四川省|成都市)[^《》，。；\n]*相关规定[^，。；\n]*", line):
            assert "示例" in rule, line
