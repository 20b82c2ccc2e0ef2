"""EditorService: drafts, validation, one-transaction publish, history/restore, conflicts, roles."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from kiosk.services.auth import PermissionDenied
from kiosk.services.catalog import Catalog
from kiosk.services.editor import (
    EditorError,
    EditorService,
    StaleEdit,
    ValidationFailed,
    diff_records,
)
from kiosk.services.events import ContentChanged
from sync.cache import models as m
from sync.content import derive_uid
from sync.content_rules import phone_problem, text_problem
from sync.problems import invalid
from tests.kiosk.services.editor_world import build_template, copy_hall

DIBAO = derive_uid("guide", "MZ-001")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("editor-template"))


@pytest.fixture
def hall(hall_config, template):
    h = copy_hall(template[0], hall_config)
    yield h
    h.close()


@pytest.fixture
def people(template):
    return template[1]


@pytest.fixture
def editor(hall):
    return EditorService.for_hall(hall)


@pytest.fixture
def events(hall):
    seen = []
    hall.events.subscribe(ContentChanged, seen.append)
    return seen


def counts(hall):
    with hall.cache.sessions() as s:
        return {t.__name__: s.scalar(select(func.count()).select_from(t))
                for t in (m.ContentRevision, m.Outbox, m.AuditLog, m.Draft)}


def test_publish_writes_record_revision_outbox_audit_and_tells_the_kiosk(hall, editor, people, events):
    catalog = Catalog(hall.cache, hall.events)
    state = editor.load("guide", DIBAO)
    assert state.base_version == 1 and not state.is_draft
    data = state.data
    data["materials"].append({"name": "银行卡复印件", "copies": 2, "form": "copy", "notes": "用于发放保障金"})
    data["steps"][0], data["steps"][1] = data["steps"][1], data["steps"][0]
    version = editor.publish(people["editor"], state)
    assert version == 2 and state.base_version == 2

    with hall.cache.sessions() as s:
        row = s.scalar(select(m.ServiceGuide).where(m.ServiceGuide.uid == DIBAO))
        assert row.version == 2 and row.updated_by == "王芳"
        assert row.materials[-1]["name"] == "银行卡复印件"
        revs = s.scalars(select(m.ContentRevision).where(m.ContentRevision.record_uid == DIBAO)
                         .order_by(m.ContentRevision.version)).all()
        assert [(r.version, r.action, r.author) for r in revs] == [(1, "import", ""), (2, "publish", "王芳")]
        outbox = s.scalars(select(m.Outbox).where(m.Outbox.kind == "content")).all()
        assert len(outbox) == 1
        p = outbox[0].payload
        assert (p["kind"], p["uid"], p["base_version"], p["version"], p["author"]) == ("guide", DIBAO, 1, 2, "王芳")
        assert p["data"]["materials"][-1]["copies"] == 2 and p["data"]["category"] == "civil"
        log = s.scalars(select(m.AuditLog).where(m.AuditLog.action == "publish")).one()
        assert log.actor == "王芳" and log.detail["version"] == 2
        assert log.detail["fields"] == ["materials", "steps"]
    assert events == [ContentChanged("guide", DIBAO)]
    detail = catalog.guide(DIBAO)  # the kiosk's catalogue reloaded on the event
    assert detail.materials[-1].name == "银行卡复印件" and detail.version == 2
    assert detail.steps[0] == data["steps"][0]


def test_publish_is_one_transaction(hall, editor, people, events, monkeypatch):
    import kiosk.services.editor as editor_module

    before = counts(hall)

    def broken_audit(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(editor_module, "audit", broken_audit)
    state = editor.load("guide", DIBAO)
    state.data["name"] = "最低生活保障申请（新）"
    with pytest.raises(RuntimeError):
        editor.publish(people["editor"], state)
    assert counts(hall) == before
    with hall.cache.sessions() as s:
        row = s.scalar(select(m.ServiceGuide).where(m.ServiceGuide.uid == DIBAO))
        assert row.version == 1 and row.name == "最低生活保障申请"
    assert events == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "不能为空"),
    ("name", "低保" * 60, "过长"),
    ("conditions", "x" * 100_000, "内容过长"),
    ("name", "低保\x07申请", "控制字符 U+0007"),
    ("name", "低保\u202e申请", "控制字符 U+202E"),
    ("name", "低保\n申请", "只能写一行"),
    ("phone", "找王主任", "电话格式"),
    ("phone", "0755-1234<b>", "网页标记"),
    ("conditions", "详见 javascript:alert(1)", "http://"),
    ("conditions", "详见 file:///etc/passwd", "http://"),
    ("conditions", "<script>alert('x')</script>", "网页标记"),
    ("conditions", "请<b>务必</b>本人到场", "网页标记"),
    ("fees", "&lt;img src=x onerror=alert(1)&gt;", "网页标记"),
    ("conditions", "<img src=x onerror=alert(1)>", "网页标记"),
])
def test_bad_input_is_refused_and_nothing_stored_changes(hall, editor, people, events, field, value, message):
    before = counts(hall)
    state = editor.load("guide", DIBAO)
    original = copy.deepcopy(state.data)
    state.data[field] = value
    with pytest.raises(ValidationFailed) as caught:
        editor.publish(people["editor"], state)
    assert message in caught.value.errors[field].text("zh_CN")
    assert counts(hall) == before and events == []
    assert editor.load("guide", DIBAO).data == original


def test_nested_field_errors_name_the_row(editor, people):
    state = editor.load("guide", DIBAO)
    state.data["materials"][1]["name"] = ""
    state.data["materials"][2]["notes"] = "<a href='javascript:x'>点</a>"
    state.data["steps"][3] = ""
    errors = editor.validate("guide", state.data)
    assert set(errors) == {"materials.1.name", "materials.2.notes", "steps.3"}


def test_plain_text_that_looks_odd_is_still_allowed():
    for text in ("年龄<60周岁", "3 < 5 且 5 > 3", "见 https://www.gov.cn/zhengce/", "时间 9:00-12:00",
                 "《社会救助暂行办法》", "A&B 两栏", "第1条\n第2条"):
        assert text_problem(text, "conditions") is None, text
    for phone in ("0755-88880101（示例号码）", "12345", "0755-8888 0101 转 203", "+86 755 88880101",
                  "0755-88880101、0755-88880102"):
        assert phone_problem(phone) is None, phone


def test_notice_ending_before_it_starts_is_refused(editor, people):
    state = editor.new_record("notice")
    state.data.update(title="停水通知", body="本周六停水。", starts_on="2026-12-05", ends_on="2026-12-01")
    with pytest.raises(ValidationFailed) as caught:
        editor.publish(people["editor"], state)
    assert caught.value.errors["ends_on"] == invalid("ends_before_start", starts="2026-12-05")
    state.data["ends_on"] = "2026-12-06"
    assert editor.publish(people["editor"], state) == 1


def test_duplicate_ticket_prefix_and_codes_are_refused(editor, people):
    state = editor.new_record("business_type")
    state.data.update(code="elderly", name="养老服务业务", name_en="Elderly care", prefix="A")
    with pytest.raises(ValidationFailed) as caught:
        editor.publish(people["head"], state)
    assert caught.value.errors["prefix"] == invalid("prefix_taken", prefix="A", by="劳动保障业务")
    state.data.update(prefix="G", code="labor")
    with pytest.raises(ValidationFailed) as caught:
        editor.publish(people["head"], state)
    assert caught.value.errors["code"].code == "code_taken"
    state.data["code"] = "elderly"
    assert editor.publish(people["head"], state) == 1

    guide = editor.load("guide", DIBAO)
    guide.data["business"] = "nosuch"
    guide.data["code"] = "MZ-002"
    errors = editor.validate("guide", guide.data)
    assert (errors["business"].code, errors["code"].code) == ("unknown_business", "code_taken")
    # a code and parameters: the screen picks the words, one language at a time
    assert errors["business"].text("zh_CN") == "业务 nosuch 不存在"
    assert errors["business"].text("en") == "unknown business type nosuch"


def test_role_limits(editor, people):
    state = editor.load("guide", DIBAO)
    state.data["name"] = "被改了"
    with pytest.raises(PermissionDenied):
        editor.save_draft(people["clerk"], state)
    with pytest.raises(PermissionDenied):
        editor.publish(people["clerk"], state)
    window = editor.load("window", derive_uid("window", 1))
    window.data["name"] = "一号窗口"
    with pytest.raises(PermissionDenied, match="站长"):
        editor.publish(people["editor"], window)
    assert editor.publish(people["head"], window) == 2
    business = editor.new_record("business_type")
    with pytest.raises(PermissionDenied):
        editor.save_draft(people["editor"], business)


def test_drafts_keep_unfinished_work(editor, people, events):
    state = editor.load("guide", DIBAO)
    state.data["name"] = ""  # not publishable yet, but a draft keeps it
    state.data["steps"].append("领取结果通知书")
    errors = editor.save_draft(people["editor"], state)
    assert "name" in errors
    again = editor.load("guide", DIBAO)
    assert again.is_draft and again.draft_author == "王芳" and again.base_version == 1
    assert again.data["steps"][-1] == "领取结果通知书"
    assert [r.has_draft for r in editor.list_records("guide") if r.uid == DIBAO] == [True]
    assert events == []  # a draft is not shown to residents
    again.data["name"] = "最低生活保障申请"
    editor.publish(people["editor"], again)
    assert not editor.load("guide", DIBAO).is_draft

    big = editor.load("guide", DIBAO)
    big.data["conditions"] = "长" * 100_000
    with pytest.raises(ValidationFailed, match="内容过长"):
        editor.save_draft(people["editor"], big)
    editor.save_draft(people["editor"], editor.load("guide", DIBAO))
    editor.discard_draft(people["editor"], "guide", DIBAO)
    assert not editor.load("guide", DIBAO).is_draft


def test_a_stale_edit_is_not_silently_overwritten(editor, people):
    mine = editor.load("guide", DIBAO)
    theirs = editor.load("guide", DIBAO)
    theirs.data["hours"] = "周一至周六 9:00-18:00"
    editor.publish(people["head"], theirs)
    mine.data["fees"] = "不收费"
    with pytest.raises(StaleEdit, match="李站长"):
        editor.publish(people["editor"], mine)
    assert editor.load("guide", DIBAO).data["hours"] == "周一至周六 9:00-18:00"


def test_history_diff_and_restore(hall, editor, people, events):
    original = editor.load("guide", DIBAO).data
    s = editor.load("guide", DIBAO)
    s.data["materials"] = s.data["materials"][:-1] + [{"name": "银行卡", "copies": 1, "form": "copy", "notes": ""}]
    editor.publish(people["editor"], s)
    s.data["phone"] = "0755-88880199"
    editor.publish(people["editor"], s)

    history = editor.history("guide", DIBAO)
    assert [(r.version, r.action) for r in history] == [(3, "publish"), (2, "publish"), (1, "import")]
    changes = editor.diff_versions("guide", DIBAO, 2)
    assert [c.field for c in changes] == ["materials"]
    lines = changes[0].lines
    assert ("-", "5. 残疾人证、病历或诊断证明 · 复印件 · 1份 · 家庭成员有残疾或重病的提供") in lines
    assert ("+", "5. 银行卡 · 复印件 · 1份") in lines
    assert [(c.label, c.new) for c in editor.diff_versions("guide", DIBAO, 3)] == [("咨询电话", "0755-88880199")]

    events.clear()
    assert editor.restore(people["editor"], "guide", DIBAO, 1) == 4
    restored = editor.load("guide", DIBAO)
    assert restored.base_version == 4 and restored.data == original
    assert [c.field for c in editor.diff_versions("guide", DIBAO, 4)] == ["materials", "phone"]
    assert events == [ContentChanged("guide", DIBAO)]
    with hall.cache.sessions() as session:
        log = session.scalars(select(m.AuditLog).where(m.AuditLog.action == "restore")).one()
        assert log.detail["restored"] == 1 and log.detail["version"] == 4
        out = session.scalars(select(m.Outbox).order_by(m.Outbox.id.desc())).first().payload
        assert (out["base_version"], out["version"]) == (3, 4)
    with pytest.raises(EditorError, match="没有第 9 版"):
        editor.restore(people["editor"], "guide", DIBAO, 9)


def _office_conflict(hall, editor, people):
    """The hall published v2 (its own edit); the office had moved to v2 with other changes."""
    s = editor.load("guide", DIBAO)
    s.data["hours"] = "周一至周五 8:30-17:30"
    s.data["fees"] = "不收费"
    editor.publish(people["editor"], s)
    office = copy.deepcopy(editor.load("guide", DIBAO).data)
    office["hours"] = "周一至周六 9:00-12:00"
    office["fees"] = ""
    office["promised_time_limit"] = "15个工作日"
    with hall.cache.transaction() as session:  # what the sync worker stores on a conflict answer
        c = m.Conflict(kind="guide", record_uid=DIBAO, local_version=2, local_data=s.data,
                       office_version=2, office_data=office)
        session.add(c)
        session.flush()
        return c.id, s.data, office


def test_conflict_merge_field_by_field(hall, editor, people, events):
    cid, mine, office = _office_conflict(hall, editor, people)
    [info] = editor.open_conflicts()
    assert info.id == cid and info.title == "最低生活保障申请"
    assert [c.field for c in info.changes] == ["promised_time_limit", "fees", "hours"]
    events.clear()
    version = editor.resolve_conflict(people["editor"], cid, {"hours": "mine", "fees": "office"})
    assert version == 3
    data = editor.load("guide", DIBAO).data
    assert data["hours"] == mine["hours"]  # kept mine
    assert data["fees"] == "" and data["promised_time_limit"] == "15个工作日"  # took the office's
    assert editor.open_conflicts() == []
    with hall.cache.sessions() as session:
        out = session.scalars(select(m.Outbox).order_by(m.Outbox.id.desc())).first().payload
        assert (out["base_version"], out["version"], out["data"]["hours"]) == (2, 3, mine["hours"])
        c = session.get(m.Conflict, cid)
        assert c.resolved_by == "王芳" and c.resolved_at is not None
        log = session.scalars(select(m.AuditLog).where(m.AuditLog.action == "resolve_conflict")).one()
        assert log.detail["choice"] == "merge"
    assert events == [ContentChanged("guide", DIBAO)]
    with pytest.raises(EditorError, match="已被处理"):
        editor.resolve_conflict(people["editor"], cid, "mine")


@pytest.mark.parametrize("choice", ["mine", "office"])
def test_conflict_keep_mine_or_take_office(hall, editor, people, choice):
    cid, mine, office = _office_conflict(hall, editor, people)
    editor.resolve_conflict(people["editor"], cid, choice)
    data = editor.load("guide", DIBAO).data
    assert data == (mine if choice == "mine" else office)
    assert [r.action for r in editor.history("guide", DIBAO)][:1] == ["resolve_conflict"]


def test_no_new_version_on_top_of_an_open_conflict(hall, editor, people):
    _office_conflict(hall, editor, people)
    state = editor.load("guide", DIBAO)
    state.data["location"] = "二楼"
    with pytest.raises(EditorError, match="请先在“冲突”页处理"):
        editor.publish(people["editor"], state)
    with pytest.raises(EditorError, match="请先在“冲突”页处理"):
        editor.restore(people["editor"], "guide", DIBAO, 1)


def test_conflict_resolution_needs_the_right_role(hall, editor, people):
    cid, _mine, _office = _office_conflict(hall, editor, people)
    with pytest.raises(PermissionDenied):
        editor.resolve_conflict(people["clerk"], cid, "office")
    assert len(editor.open_conflicts()) == 1


def test_business_type_chooses_the_guides_that_lead_to_it(hall, editor, people, events):
    state = editor.new_record("business_type")
    state.data.update(code="dibao", name="低保专窗", name_en="Minimum allowance", prefix="G")
    editor.publish(people["head"], state, lead_guides=[DIBAO])
    assert editor.guides_leading_to("dibao") == [DIBAO]
    assert editor.load("guide", DIBAO).data["business"] == "dibao"
    assert {e.kind for e in events} == {"business_type", "guide"}
    with hall.cache.sessions() as session:
        row = session.scalar(select(m.ServiceGuide).where(m.ServiceGuide.uid == DIBAO))
        assert row.business_type.code == "dibao" and row.version == 2


def test_new_guide_publishes_as_version_one(editor, people):
    state = editor.new_record("guide")
    state.data.update(code="MZ-099", name="测试事项", authority="幸福街道办事处", legal_basis="《测试条例》",
                      conditions="本社区居民", steps=["提交申请", "领取结果"], legal_time_limit="5个工作日",
                      promised_time_limit="3个工作日", location="一楼大厅", hours="工作日", phone="12345",
                      materials=[{"name": "身份证", "copies": 1, "form": "both", "notes": ""}])
    assert editor.publish(people["editor"], state) == 1
    assert "测试事项" in [r.title for r in editor.list_records("guide")]


def test_diff_of_a_new_record_lists_filled_fields():
    changes = diff_records("notice", None, {"title": "通知", "body": "内容", "starts_on": "2026-01-01",
                                            "ends_on": "2026-01-02", "uid": "x"})
    assert [c.label for c in changes] == ["标题", "正文", "开始日期", "结束日期"]


def test_an_overtaken_edit_becomes_a_conflict_to_choose_from(hall, editor, people):
    mine = editor.load("guide", DIBAO)
    mine.data["fees"] = "不收费"
    editor.save_draft(people["editor"], mine)
    pulled = editor.load("guide", DIBAO)  # e.g. the office's copy arriving through sync
    with hall.cache.transaction() as session:
        from kiosk.services.content import apply_content

        office = dict(editor.current(session, "guide", DIBAO)[0], hours="周六 9:00-12:00")
        apply_content(session, "guide", office, 5)
    del pulled
    with pytest.raises(StaleEdit):
        editor.publish(people["editor"], mine)
    cid = editor.stale_to_conflict(people["editor"], mine)
    [info] = editor.open_conflicts()
    assert (info.id, info.local_version, info.office_version) == (cid, 1, 5)
    assert {c.field for c in info.changes} == {"fees", "hours"}
    assert not editor.load("guide", DIBAO).is_draft  # the conflict holds the edit now
    assert editor.resolve_conflict(people["editor"], cid, {"fees": "mine"}) == 6
    data = editor.load("guide", DIBAO).data
    assert (data["fees"], data["hours"]) == ("不收费", "周六 9:00-12:00")
    with pytest.raises(EditorError, match="没有更新的版本"):
        editor.stale_to_conflict(people["editor"], editor.load("guide", DIBAO))


def test_the_editor_reads_while_a_counter_holds_the_write_lock(editor, hall):
    """Opening records, their history and the pickers never wait for the write lock (a counter's
    action, a sync round): the editor's reads are plain WAL snapshots (cache.reading())."""
    from tests.sync.writelock import write_lock_held

    with write_lock_held(hall.cache):  # a read that wanted the lock would fail with "database is locked"
        guides = editor.list_records("guide")
        assert DIBAO in {r.uid for r in guides}
        state = editor.load("guide", DIBAO)
        assert state.data["code"] == "MZ-001"
        assert editor.history("guide", DIBAO)[0].version == state.base_version
        assert editor.validate("guide", state.data) == {}
        assert editor.choices()["category"] and editor.open_conflicts() == []
        assert editor.proposal_note("guide", DIBAO) == ("", "")
        assert editor.new_record("guide").data["category"]
