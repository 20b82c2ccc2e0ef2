"""The console's review pages in a real headless Chromium against the office on loopback, on
SQLite and on PostgreSQL, with real halls (kiosk Hall, editor, queue, rating pad) syncing over
HTTP: a hall's edit of a shared guide is accepted in 提案审核 and reaches the halls; another is
merged field by field, a third rejected with a note the hall reads; a 差评 is followed up (已回访, 已整改) in 差评回访; 满意率 shows on the
statistics page as /api/v1/stats/satisfaction counts it; a viewer sees no decide buttons and a
forged POST is refused; a 公示表 (disclosure) is edited in the content editor."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select, update

from kiosk.services.editor import EditorService
from kiosk.services.queue import QueueService
from kiosk.services.ratings import RatingService
from sync.cache.models import Staff
from sync.content import derive_uid
from sync.office.console import accounts
from sync.office.console import content as content_forms
from sync.office.models import ContentRecord, FollowUp, Proposal
from tests.sync.office.console.test_console_browser import browser, shot, sign_in, submit  # noqa: F401, F811 (fixture)
from tests.sync.test_sync_proposals import HEAD, LD001, two_halls  # noqa: F401 (fixture)

EDITOR_PW = "editor-password-1"
VIEWER_PW = "viewer-password-1"
NEW_FEES = "不收费（示例）"
NEW_HOURS = "周一至周五 9:00-12:00，13:30-17:30（示例）"


def edit(hall, **fields) -> None:
    editor = EditorService.for_hall(hall)
    state = editor.load("guide", LD001)
    state.data.update(fields)
    editor.publish(HEAD, state)


def local_guide(hall) -> tuple[dict, int]:
    with hall.cache.sessions() as s:
        return EditorService.for_hall(hall).current(s, "guide", LD001)


def wait_text(driver, element_id: str) -> str:
    return WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, element_id))).text


def publish(driver) -> str:
    submit(driver, driver.find_element(By.ID, "publish"))
    return wait_text(driver, "message")


def forged_post(driver, path: str, form: dict[str, str]) -> int:
    """A POST from the signed-in page with its own CSRF token: only the role can refuse it."""
    return driver.execute_async_script("""
        const done = arguments[2];
        const csrf = document.querySelector('input[name=csrf]').value;
        fetch(arguments[0], {method: 'POST', redirect: 'manual',
                             body: new URLSearchParams({csrf: csrf, ...arguments[1]})}).then(r => done(r.status));
    """, path, form)


def audit_actions(office) -> list[tuple[str, str, str]]:
    with office.db.sessions() as s:
        return [(r.actor, r.action, r.detail) for r in accounts.recent_audit(s, 100)]


@pytest.fixture
def world(office, two_halls):  # noqa: F811
    """Two real halls with the sample content published to both (the proposals tests' setup)."""
    h1, h2, w1, w2, _t1, _t2 = two_halls
    with office.db.sessions.begin() as s:
        accounts.add_account(s, "赵编辑", "editor", EDITOR_PW, actor="test")
        accounts.add_account(s, "李查看", "viewer", VIEWER_PW, actor="test")
    return h1, h2, w1, w2


def bad_rating(hall, level: str, reasons: list[str], comment: str) -> str:
    """A real service at the hall (issue, call, finish) rated on the counter's pad."""
    q = QueueService(hall.cache, hall.events, tz=hall.tz, config=hall.config)
    with hall.cache.reading() as s:
        clerk_id = s.scalar(select(Staff.id).where(Staff.role == "clerk"))
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    q.issue_ticket(business)
    q.call_next(window, staff_id=clerk_id)
    ticket = q.finish(window, staff_id=clerk_id)
    RatingService(hall.cache, events=hall.events).rate(window, ticket.uid, level, reasons, comment)
    return ticket.label


def test_proposals_and_follow_ups_in_the_console(office, world, browser):  # noqa: F811
    h1, h2, w1, w2 = world
    with office.db.sessions() as s:
        original = s.get(ContentRecord, LD001)
        v0, office_fees = original.version, original.data["fees"]

    # --- a hall proposes an edit of the shared guide through a real sync round ---
    edit(h1, fees=NEW_FEES)
    assert w1.sync_once().proposed == 1

    # --- an editor sees it, with the field diff, and accepts it ---
    sign_in(browser, office.url, "赵编辑", EDITOR_PW)
    browser.get(f"{office.url}/console/proposals")
    row = browser.find_element(By.CSS_SELECTOR, "#proposals tbody tr")
    assert "幸福社区工作站" in row.text and "已提交审核" in row.text and "fees" in row.text
    assert HEAD.name in row.text  # the author at the hall
    submit(browser, row.find_element(By.CSS_SELECTOR, "td a"))
    diff = browser.find_element(By.CSS_SELECTOR, '#diff tr[data-field="fees"]')
    assert diff.find_element(By.CSS_SELECTOR, "td.old").text == (office_fees or "（空）")
    assert NEW_FEES in diff.find_element(By.CSS_SELECTOR, "td.new").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#diff tbody tr")) == 1  # only the field that differs
    browser.find_element(By.ID, "note").send_keys("核实无误，采纳")
    submit(browser, browser.find_element(By.ID, "accept"))
    assert f"发布为第 {v0 + 1} 版" in wait_text(browser, "message")
    assert "已采纳" in browser.find_element(By.ID, "state").text
    assert not browser.find_elements(By.ID, "accept")  # decided once
    assert any((who, action) == ("赵编辑", "proposal.accept") and LD001 in detail
               for who, action, detail in audit_actions(office))

    # --- the halls get the new version with their next round; the proposer reads 已采纳 ---
    w1.sync_once()
    data, version = local_guide(h1)
    assert (data["fees"], version) == (NEW_FEES, v0 + 1)
    state, line = EditorService.for_hall(h1).proposal_note("guide", LD001)
    assert state == "accepted" and "已采纳" in line
    w2.sync_once()
    assert local_guide(h2)[0]["fees"] == NEW_FEES

    # --- a second hall proposes two fields; the editor takes only one of them ---
    edit(h2, hours=NEW_HOURS, phone="028-00000000（示例）")
    assert w2.sync_once().proposed == 1
    with office.db.sessions() as s:
        second = s.scalar(select(Proposal.id).where(Proposal.state == "pending"))

    # --- 差评 at a counter reach the office and open follow-ups ---
    label = bad_rating(h1, "very_dissatisfied", ["long_wait", "not_done"], "材料说了三次都不一样")
    late = bad_rating(h1, "dissatisfied", ["attitude"], "")
    w1.sync_once()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with office.db.sessions.begin() as s:  # the second one's deadline has passed (as if days went by)
        s.execute(update(FollowUp).where(FollowUp.id == max(s.scalars(select(FollowUp.id))))
                  .values(due_on=today - timedelta(days=1)))

    # --- a viewer reads but cannot decide ---
    sign_in(browser, office.url, "李查看", VIEWER_PW)
    browser.get(f"{office.url}/console/proposals/{second}")
    assert "已提交审核" in browser.find_element(By.ID, "state").text
    assert browser.find_element(By.CSS_SELECTOR, '#diff tr[data-field="hours"]')
    assert not browser.find_elements(By.CSS_SELECTOR, "#accept, #merge, #reject, input[name=take]")
    assert forged_post(browser, f"/console/proposals/{second}", {"action": "accept"}) == 403
    assert browser.execute_async_script(  # an id beyond the database's integers: refused, not a 500
        "fetch('/console/proposals/99999999999').then(r => arguments[0](r.status));") == 422
    browser.get(f"{office.url}/console/follow-ups")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#follow-ups tbody tr[data-id]")) == 2
    assert not browser.find_elements(By.CSS_SELECTOR, "form.advance")
    with office.db.sessions() as s:
        some = s.scalar(select(FollowUp.id))
    assert forged_post(browser, f"/console/follow-ups/{some}", {"state": "visited", "note": "x"}) == 403
    with office.db.sessions() as s:
        assert s.get(Proposal, second).state == "pending"
        assert {f.state for f in s.scalars(select(FollowUp))} == {"open"}

    # --- the editor merges the chosen field only ---
    sign_in(browser, office.url, "赵编辑", EDITOR_PW)
    browser.get(f"{office.url}/console/proposals/{second}")
    assert {r.get_attribute("data-field") for r in browser.find_elements(By.CSS_SELECTOR, "#diff tbody tr")} == \
        {"hours", "phone"}
    submit(browser, browser.find_element(By.ID, "merge"))  # nothing ticked: said, nothing changed
    assert "choose at least one field" in wait_text(browser, "message")
    assert "已提交审核" in browser.find_element(By.ID, "state").text
    browser.find_element(By.ID, "take-hours").click()
    browser.find_element(By.ID, "note").send_keys("采纳办理时间；咨询电话以街道办公布的为准")
    shot(browser, "proposals", office.backend)
    submit(browser, browser.find_element(By.ID, "merge"))
    assert "已部分采纳" in wait_text(browser, "state")
    with office.db.sessions() as s:
        merged = s.get(ContentRecord, LD001).data
    assert merged["hours"] == NEW_HOURS and merged["phone"] != "028-00000000（示例）" and merged["fees"] == NEW_FEES

    # --- a third is rejected with a note the hall reads after its next round ---
    edit(h1, fees="请先扫码缴纳手续费50元")
    assert w1.sync_once().proposed == 1
    browser.get(f"{office.url}/console/proposals")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#proposals tbody tr td a"))
    browser.find_element(By.ID, "note").send_keys("收费须按统一标准，不得自行增加")
    submit(browser, browser.find_element(By.ID, "reject"))
    assert "已驳回" in browser.find_element(By.ID, "state").text
    w1.sync_once()
    state, line = EditorService.for_hall(h1).proposal_note("guide", LD001)
    assert state == "rejected" and "不得自行增加" in line
    assert local_guide(h1)[0]["fees"] == NEW_FEES  # the office's copy stays
    browser.get(f"{office.url}/console/proposals?state=all")
    states = [r.find_element(By.CSS_SELECTOR, "td.state").text
              for r in browser.find_elements(By.CSS_SELECTOR, "#proposals tbody tr")]
    assert states == ["已驳回", "已部分采纳", "已采纳"]  # newest first

    # --- 差评回访: the overdue one in red, then 已回访 and 已整改 with notes ---
    browser.get(f"{office.url}/console/follow-ups")
    rows = browser.find_elements(By.CSS_SELECTOR, "#follow-ups tbody tr[data-id]")
    assert [r.find_element(By.CSS_SELECTOR, "td").text.splitlines()[0] for r in rows] == [late, label]
    overdue = rows[0]
    assert "overdue" in overdue.get_attribute("class") and "已逾期" in overdue.text
    assert overdue.find_element(By.CSS_SELECTOR, "td.due").value_of_css_property("color") == "rgba(198, 40, 40, 1)"
    first = rows[1]
    assert "非常不满意" in first.text and "等待时间长、没有办成" in first.text and "材料说了三次都不一样" in first.text
    fid = first.get_attribute("data-id")
    shot(browser, "followups", office.backend)
    first.find_element(By.NAME, "note").send_keys("已电话回访，居民接受道歉")
    submit(browser, first.find_element(By.CSS_SELECTOR, "form.advance button"))
    assert "已记录 已回访" in wait_text(browser, "message")
    row = browser.find_element(By.CSS_SELECTOR, f'#follow-ups tr[data-id="{fid}"]')
    assert "已回访" in row.find_element(By.CSS_SELECTOR, "td.state").text and "赵编辑" in row.text
    row.find_element(By.NAME, "note").send_keys("材料清单已统一并张贴")
    submit(browser, row.find_element(By.CSS_SELECTOR, "form.advance button"))
    assert "已记录 已整改" in wait_text(browser, "message")
    assert not browser.find_elements(By.CSS_SELECTOR, f'#follow-ups tr[data-id="{fid}"]')  # done: off the list
    Select(browser.find_element(By.ID, "state")).select_by_value("rectified")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#filters button"))
    done = browser.find_element(By.CSS_SELECTOR, f'#follow-ups tr[data-id="{fid}"]')
    assert "已整改" in done.text and "材料清单已统一并张贴" in done.text
    api = requests.get(f"{office.url}/api/v1/admin/follow-ups", params={"state": "rectified"},
                       headers={"Authorization": f"Bearer {office.admin_token}"}, timeout=10).json()
    assert [(f["id"], f["visited_by"], f["rectified_by"]) for f in api] == [(int(fid), "赵编辑", "赵编辑")]
    actions = [a for _who, a, _d in audit_actions(office)]
    assert {"proposal.merge", "proposal.reject", "follow_up.visited", "follow_up.rectified"} <= set(actions)

    # --- 满意率 on the statistics page: the numbers of /api/v1/stats/satisfaction ---
    browser.get(f"{office.url}/console/stats?since={today}&until={today}")
    sat = requests.get(f"{office.url}/api/v1/stats/satisfaction", params={"since": str(today), "until": str(today)},
                       headers={"Authorization": f"Bearer {office.admin_token}"}, timeout=10).json()["satisfaction"]
    assert sat["total"]["rated"] == 2 and sat["total"]["satisfied"] == 0
    total = browser.find_element(By.ID, "sat-total").text
    assert "评价 2" in total and "满意率 0.0%" in total and "非常不满意 1" in total and "不满意 1" in total
    Select(browser.find_element(By.ID, "sat")).select_by_value("window")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#sat-filters button"))
    cells = [c.text for c in browser.find_element(By.CSS_SELECTOR, "#sat-figures tbody tr")
             .find_elements(By.TAG_NAME, "td")]
    by_window = sat["by_window"][0]
    browser.execute_script("document.getElementById('satisfaction').scrollIntoView()")
    shot(browser, "satisfaction", office.backend)
    assert cells[:5] == ["xingfu", str(by_window["window"]), "2", "0", "0.0%"]
    csv = browser.execute_async_script(
        "const done = arguments[0]; fetch(document.getElementById('sat-csv').href).then(r => r.text()).then(done);")
    assert csv.lstrip("\ufeff").splitlines()[1] == f"xingfu,{by_window['window']},2,0,0.0,0,0,0,1,1"


def test_disclosure_table_in_the_content_editor(office, browser):  # noqa: F811
    with office.db.sessions.begin() as s:
        accounts.add_account(s, "赵编辑", "editor", EDITOR_PW, actor="test")
    office.add_hall("幸福社区工作站", "xingfu")
    sign_in(browser, office.url, "赵编辑", EDITOR_PW)
    browser.get(f"{office.url}/console/content?kind=disclosure")
    submit(browser, browser.find_element(By.ID, "new"))
    values = {"title": "幸福社区工作站 财务公开", "kind": "finance", "period": "2026年10月", "responsible": "张会计（示例）",
              "published_on": "2026-11-01", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
              "columns": '["项目", "收入（元）", "支出（元）"]', "rows": '[["办公经费", "0", "1200"], ["活动经费"]]'}
    for key, value in values.items():
        field = browser.find_element(By.ID, f"f_{key}")
        field.clear()
        field.send_keys(value)
    browser.find_element(By.ID, "to-list").click()
    browser.find_element(By.CSS_SELECTOR, 'input[name=hall][value="xingfu"]').click()
    # A row that does not fit the columns: refused by the shared rules, nothing stored.
    assert "未发布" in publish(browser)
    assert "第 2 行有 1 格，表头有 3 列" in browser.find_element(By.ID, "form-error").text
    assert browser.find_element(By.ID, "f_rows").get_attribute("value") == \
        '[\n ["办公经费", "0", "1200"],\n ["活动经费"]\n]'  # kept as typed, one row a line
    with office.db.sessions() as s:
        assert s.scalar(select(ContentRecord).where(ContentRecord.kind == "disclosure")) is None
    rows = browser.find_element(By.ID, "f_rows")
    rows.clear()
    rows.send_keys('[["办公经费", "0", "1200"], ["活动经费", "0", "<b>800</b>"]]')
    assert "未发布" in publish(browser)  # markup in a cell: refused like every other path
    assert browser.find_elements(By.CSS_SELECTOR, "label.field.bad #f_rows")
    rows = browser.find_element(By.ID, "f_rows")
    rows.clear()
    rows.send_keys('[["办公经费", "0", "1200"], ["活动经费", "0", "800"]]')
    assert "已发布 第 1 版" in publish(browser)
    uid = derive_uid("disclosure", "finance:幸福社区工作站 财务公开:2026年10月")
    with office.db.sessions() as s:
        rec = s.get(ContentRecord, uid)
        assert rec is not None and rec.data["rows"] == [["办公经费", "0", "1200"], ["活动经费", "0", "800"]]
        assert content_forms.published_halls(s, uid) == ["xingfu"]
    browser.get(f"{office.url}/console/content?kind=disclosure")
    assert "幸福社区工作站 财务公开 2026年10月" in browser.find_element(By.ID, "records").text
