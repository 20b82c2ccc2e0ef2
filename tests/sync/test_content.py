"""The content bundle format: the bundled sample, the round trip and the error messages."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.content import (
    YIZHAN_NAMESPACE,
    ContentBundle,
    ContentError,
    Guide,
    Notice,
    derive_uid,
)
from sync.content_files import SAMPLE_DIR, dump_bundle, load_bundle
from sync.content_rules import text_problem

AREAS = {"labor", "civil", "health", "disability", "safety", "culture"}


@pytest.fixture(scope="module")
def sample() -> ContentBundle:
    return load_bundle(SAMPLE_DIR)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A writable copy of the sample to break."""
    target = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` at or after the first `after`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_bundle(directory)
    return info.value.problems


# --- the bundled sample --------------------------------------------------------------------


def test_sample_has_every_area_with_enough_guides(sample: ContentBundle) -> None:
    assert len(sample.guides) >= 40
    assert {c.code for c in sample.categories} == AREAS
    for area in AREAS:
        assert len(sample.guides_in(area)) >= 6, area
    for c in sample.categories:
        assert c.name and c.name_en and c.icon


def test_sample_guides_are_complete(sample: ContentBundle) -> None:
    for g in sample.guides:
        assert 4 <= len(g.steps) <= 7, g.code
        assert g.materials and g.keywords and len(g.faqs) >= 2, g.code
        assert "示例" in g.phone and "示例" in g.complaint_phone, g.code
        assert g.business is not None, g.code
        assert not re.match(r"^\s*\d+[.、]", g.steps[0]), "steps are numbered by position, not in text"
    assert any(g.fees for g in sample.guides), "a few guides have real fee text"


def test_sample_has_dibao_and_the_hall(sample: ContentBundle) -> None:
    dibao = next(g for g in sample.guides if "低保" in g.keywords)
    assert dibao.category == "civil" and "最低生活保障" in dibao.name
    assert [b.prefix for b in sample.businesses] == list("ABCDEF")
    assert len(sample.windows) == 5
    assert sum(len(w.businesses) > 1 for w in sample.windows) >= 3
    today = date(2026, 11, 25)
    current = [n for n in sample.notices if n.starts_on <= today <= n.ends_on]
    assert len(current) >= 2 and any(n.ends_on < today for n in sample.notices)
    assert {(s.name, s.role, s.pin) for s in sample.staff} == {
        ("李文", "clerk", "1111"), ("陈静", "editor", "2222"), ("王建国", "head", "3333")}


def test_a_business_has_one_english_name_everywhere(sample: ContentBundle) -> None:
    """维稳综治 was "Community Safety and Mediation" on the home screen and "Residence, rentals
    and mediation" on 取号: a business without its own English name takes its service area's."""
    areas = {c.code: c.name_en for c in sample.categories}
    assert {b.code: b.name_en for b in sample.businesses} == {b.code: areas[b.code] for b in sample.businesses}
    assert next(b for b in sample.businesses if b.code == "safety").name_en == "Community Safety and Mediation"


def test_a_business_english_name_of_its_own_is_kept(broken: Path) -> None:
    edit(broken / "hall.yaml", "    name: 综治业务\n", "    name: 综治业务\n    name_en: Mediation desk\n")
    bundle = load_bundle(broken)
    assert next(b for b in bundle.businesses if b.code == "safety").name_en == "Mediation desk"


def test_every_record_has_a_stable_derived_uid(sample: ContentBundle) -> None:
    dibao = next(g for g in sample.guides if g.code == "MZ-001")
    assert dibao.uid == str(uuid.uuid5(YIZHAN_NAMESPACE, "guide:MZ-001")) == derive_uid("guide", "MZ-001")
    for record in [*sample.categories, *sample.guides, *sample.businesses, *sample.windows, *sample.notices]:
        assert record.uid is not None
    assert load_bundle(SAMPLE_DIR) == sample  # same files, same ids


def test_windows_notepad_files_load_the_same(broken: Path, sample: ContentBundle) -> None:
    # A byte-order mark and CRLF line ends, as Notepad on a hall PC may save them.
    for path in [broken / "hall.yaml", *(broken / "guides").glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
    assert load_bundle(broken) == sample


def test_explicit_uid_is_kept(broken: Path) -> None:
    uid = "0c8f6a2e-1111-4222-8333-944455556666"
    edit(broken / "guides" / "civil.yaml", "  - code: MZ-001\n", f"  - code: MZ-001\n    uid: {uid}\n")
    bundle = load_bundle(broken)
    assert next(g for g in bundle.guides if g.code == "MZ-001").uid == uid


# --- round trip ----------------------------------------------------------------------------


def test_round_trip_load_dump_load(sample: ContentBundle, tmp_path: Path) -> None:
    out = dump_bundle(sample, tmp_path / "export")
    assert sorted(p.name for p in (out / "guides").iterdir()) == sorted(f"{a}.yaml" for a in AREAS)
    again = load_bundle(out)
    assert again == sample
    # uids are written out explicitly, multi-line text as readable | blocks, Chinese unescaped
    civil = (out / "guides" / "civil.yaml").read_text(encoding="utf-8")
    assert f"uid: {derive_uid('guide', 'MZ-001')}" in civil
    assert "legal_basis: |" in civil and "最低生活保障" in civil and "\\u" not in civil
    # and a second export is byte-identical
    dump_bundle(again, tmp_path / "export2")
    for path in out.rglob("*.yaml"):
        assert path.read_bytes() == (tmp_path / "export2" / path.relative_to(out)).read_bytes()


def test_round_trip_of_awkward_text(sample: ContentBundle, tmp_path: Path) -> None:
    guide = sample.guides[0].model_copy(update={
        "conditions": "第一行: 冒号 # 井号\n  缩进的第二行\n'引号' \"双引号\" - 横线",
        "fees": "12:00",
        "keywords": ["yes", "123", "a, b", "null"],
    })
    notice = Notice(title="x: y", body="- not a list\n[not flow]", starts_on=date(2026, 1, 1),
                    ends_on=date(2026, 1, 1))
    bundle = ContentBundle(**{**sample.model_dump(), "guides": [guide, *sample.guides[1:]],
                              "notices": [notice]})
    assert load_bundle(dump_bundle(bundle, tmp_path / "x")) == bundle


# Any text a person can type (no invisible control characters), with newlines, tabs and spaces.
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029\ufeff")
               | st.sampled_from("\n\t :#'\"-|>"), min_size=1, max_size=50).map(str.strip).filter(bool)


def _typed(key: str) -> st.SearchStrategy[str]:
    # ...that the shared text rules accept in that field (no markup, no script links, one line where due)
    return TEXT.filter(lambda t: text_problem(t, key) is None)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(title=_typed("title"), body=_typed("body"), keywords=st.lists(_typed("keywords"), max_size=4),
       fees=st.one_of(st.just(""), _typed("fees")))
def test_round_trip_of_any_text(sample: ContentBundle, tmp_path_factory: pytest.TempPathFactory,
                                title: str, body: str, keywords: list[str], fees: str) -> None:
    guide = sample.guides[0].model_copy(update={"conditions": body, "keywords": keywords, "fees": fees})
    notice = Notice(title=title, body=body, starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2))
    bundle = ContentBundle(categories=sample.categories, businesses=sample.businesses, guides=[guide],
                           notices=[notice])
    assert load_bundle(dump_bundle(bundle, tmp_path_factory.mktemp("rt"))) == bundle


def test_invisible_control_characters_are_refused(broken: Path) -> None:
    path = broken / "guides" / "labor.yaml"
    edit(path, "    name: 就业登记\n", '    name: "就业\\x85登记"\n')
    [problem] = problems_of(broken)
    assert problem.startswith(f"{path}:{line_of(path, 'x85')}: entry guide LD-002 field name: 含有不可见的控制字符 U+0085")


def test_dump_refuses_a_folder_with_other_categories(sample: ContentBundle, tmp_path: Path) -> None:
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "old.yaml").write_text("category: {}\n", encoding="utf-8")
    with pytest.raises(ContentError, match="old.yaml"):
        dump_bundle(sample, tmp_path)
    assert not (tmp_path / "hall.yaml").exists()


# --- error messages ------------------------------------------------------------------------


def test_bad_yaml_names_file_line_and_column(broken: Path) -> None:
    path = broken / "guides" / "labor.yaml"
    edit(path, "    name: 就业登记\n", "    name: [就业登记\n")
    problems = problems_of(broken)
    assert len(problems) == 1
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: YAML", problems[0]), problems[0]
    line = int(problems[0].split(":")[1])
    assert abs(line - line_of(path, "name: [就业登记")) <= 2


def test_missing_required_field(broken: Path) -> None:
    path = broken / "guides" / "civil.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: MZ-002")
    i = text.index("    authority:", start)
    path.write_text(text[:i] + text[text.index("\n", i) + 1:], encoding="utf-8")
    [problem] = problems_of(broken)
    assert problem.startswith(f"{path}:{line_of(path, 'code: MZ-002')}: entry guide MZ-002 field authority:")
    assert "缺少必填项" in problem


def test_wrong_type_names_the_nested_field_and_its_line(broken: Path) -> None:
    path = broken / "guides" / "disability.yaml"
    edit(path, "        copies: 3\n", '        copies: "two"\n')
    [problem] = problems_of(broken)
    line = line_of(path, 'copies: "two"')
    assert problem.startswith(f"{path}:{line}: entry guide CJ-001 field materials.3.copies:"), problem
    assert "'two'" in problem


def test_unknown_business_code(broken: Path) -> None:
    path = broken / "guides" / "culture.yaml"
    edit(path, "    business: culture\n", "    business: cultrue\n")
    [problem] = problems_of(broken)
    assert problem.startswith(f"{path}:{line_of(path, 'business: cultrue')}: entry guide WJ-001 field business:")
    assert "cultrue" in problem and "culture" in problem  # names the bad code and the choices


def test_window_with_unknown_business(broken: Path) -> None:
    path = broken / "hall.yaml"
    edit(path, "    businesses: [safety, culture, labor]\n", "    businesses: [safety, sport, labor]\n")
    [problem] = problems_of(broken)
    assert problem.startswith(f"{path}:{line_of(path, '[safety, sport')}: entry window 5 field businesses.2:")


def test_duplicate_prefix(broken: Path) -> None:
    path = broken / "hall.yaml"
    edit(path, "    prefix: B\n", "    prefix: A\n")
    [problem] = problems_of(broken)
    assert problem.startswith(f"{path}:{line_of(path, 'prefix: A', after='code: civil')}: "
                              "entry business civil field prefix:"), problem
    assert "重复" in problem


def test_every_problem_is_reported_at_once(broken: Path) -> None:
    edit(broken / "guides" / "labor.yaml", "    legal_time_limit: 即时办结\n", "")  # LD-001
    edit(broken / "guides" / "civil.yaml", "    visits: 1\n", "    visits: -1\n")  # MZ-001
    edit(broken / "guides" / "health.yaml", "    business: health\n", "    business: nope\n")
    edit(broken / "guides" / "safety.yaml", "  - code: ZZ-002\n", "  - code: ZZ-001\n")
    edit(broken / "hall.yaml", "    prefix: F\n", "    prefix: f1\n")
    edit(broken / "hall.yaml", "    ends_on: 2026-11-30\n", "    ends_on: 2026-11-01\n")
    edit(broken / "hall.yaml", '    pin: "2222"\n', "    pin: 2222x\n")
    edit(broken / "guides" / "culture.yaml", "    hours: 周二至周日", "    hour: 周二至周日")
    problems = problems_of(broken)
    text = "\n".join(problems)
    expected = [
        r"labor\.yaml:\d+: entry guide LD-001 field legal_time_limit: 缺少必填项",
        r"civil\.yaml:\d+: entry guide MZ-001 field visits: 不能小于 0",
        r"health\.yaml:\d+: entry guide JW-001 field business: 业务 nope 不存在",
        r"safety\.yaml:\d+: entry guide ZZ-001 field code: 事项编码 ZZ-001 重复",
        r"hall\.yaml:\d+: entry business culture field prefix: 票号前缀应为",
        r"hall\.yaml:\d+: entry notice \S+ field ends_on: 结束日期早于开始日期",
        r"hall\.yaml:\d+: entry staff 陈静 field pin: PIN 应为4–8位数字",
        r"culture\.yaml:\d+: entry guide WJ-003 field hour: 未知字段",
        r"culture\.yaml:\d+: entry guide WJ-003 field hours: 缺少必填项",
    ]
    for pattern in expected:
        assert re.search(pattern, text), f"{pattern}\n--- got:\n{text}"
    assert len(problems) == len(expected), text
    assert "content has 9 problem(s)" in str(ContentError(problems))


def test_structure_problems(broken: Path) -> None:
    (broken / "guides" / "civil.yaml").rename(broken / "guides" / "welfare.yaml")
    (broken / "extra.yaml").write_text("guides: []\n", encoding="utf-8")
    edit(broken / "hall.yaml", "windows:\n", "windows:\n  - number: 9\n    name: 9号窗口\n    businesses: []\n"
         "    name: again\n")
    edit(broken / "guides" / "health.yaml", "  - code: JW-001\n", "  - code: JW-001\n    category: health\n")
    text = "\n".join(problems_of(broken))
    assert re.search(r"welfare\.yaml:\d+: entry category civil field code: 类别编码应与文件名一致", text), text
    assert "extra.yaml: 未知文件" in text
    assert re.search(r"hall\.yaml:\d+: 键 name 重复", text)
    assert re.search(r"health\.yaml:\d+: entry guide JW-001 field category: 类别由所在文件决定", text)
    # the civil guides sit in a file whose category is broken: not re-reported one by one
    assert "类别 welfare 不存在" not in text


def test_models_refuse_bad_values_directly() -> None:
    base = dict(code="X-1", category="civil", name="n", authority="a", legal_basis="b", conditions="c",
                materials=[], steps=["s"], legal_time_limit="1日", promised_time_limit="1日", visits=0,
                location="l", hours="h", phone="p")
    assert Guide(**base).uid == derive_uid("guide", "X-1")
    assert Guide(**{**base, "name": "  padded  "}).name == "padded"
    with pytest.raises(ValueError, match="at most 100"):
        Guide(**{**base, "name": "长" * 101})
    with pytest.raises(ValueError):
        Guide(**{**base, "surprise": 1})
    with pytest.raises(ValueError, match="duplicate"):
        ContentBundle(guides=[Guide(**base), Guide(**base)])
