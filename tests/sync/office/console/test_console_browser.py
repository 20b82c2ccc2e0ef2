"""The office console in a real headless Chromium against the office on loopback, on SQLite and
on PostgreSQL: sign in, see the halls (with what they reported), edit and publish a guide that
reaches a hall's cache through a real sync round, read the statistics, and a viewer cannot edit."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from sync import wire
from sync.cache.models import ContentRevision
from sync.client import SyncWorker
from sync.office import store
from sync.office.console import accounts
from tests.sync.office_world import TicketMaker, record_apply

REPO = Path(__file__).resolve().parents[4]
# The screenshots in docs/img are remade with YIZHAN_SHOTS=docs/img; else a test run writes none.
SHOTS = os.environ.get("YIZHAN_SHOTS", "")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ADMIN_PW = "街道办-correct-horse"
VIEWER_PW = "viewer-password-1"


@pytest.fixture
def browser(tmp_path):
    # The office's desktops have Chinese fonts; this machine may not: lend Chromium the hall's font.
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f'<dir>{REPO / "assets" / "fonts"}</dir></fontconfig>')
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,950", "--lang=zh-CN",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER, env=env), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def sign_in(driver, url: str, name: str, password: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{url}/console/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "signin").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "who")))


def submit(driver, button) -> None:
    """Click and wait for the next page (the old one may carry the same ids, e.g. #message)."""
    button.click()

    def gone(_driver) -> bool:
        # Chromium answers a node of the old page with "stale" or "does not belong to the document".
        try:
            button.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 10).until(gone)


def shot(driver, name: str, backend: str) -> None:
    if backend == "sqlite" and SHOTS:  # one set of pictures is enough
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"office-console-{name}.png"))


def test_console_end_to_end(office, browser, make_cache, sample_records):
    office.publish(sample_records)
    token = office.add_hall("武侯区 幸福社区工作站", "xingfu")
    office.add_hall("玉林社区工作站", "yulin")  # never syncs: it stands out
    with office.db.sessions.begin() as s:
        accounts.add_account(s, "王主任", "admin", ADMIN_PW, actor="test")
        accounts.add_account(s, "李查看", "viewer", VIEWER_PW, actor="test")
        store.set_hall_tags(s, "xingfu", ["武侯区", "玉林街道"])
    cache = make_cache("xingfu")
    worker = SyncWorker(cache, office.url, token, apply_content=record_apply)
    worker.hall_state = lambda: wire.HallState(
        app_version="0.1.0", board=wire.DeviceState(ok=True, text="LED屏：正常"),
        printer=wire.DeviceState(ok=False, text="打印机：纸将尽"), at=datetime.now(UTC))
    maker = TicketMaker(cache)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the office's day
    for i in range(6):
        maker.issue(day=today, events=3 if i < 4 else 1)
    worker.sync_once()

    # --- sign in; a wrong password first (the page says so) ---
    browser.get(f"{office.url}/console/halls")
    assert "/console/login" in browser.current_url  # not signed in: to the sign-in page
    browser.find_element(By.ID, "name").send_keys("王主任")
    browser.find_element(By.ID, "password").send_keys("wrong password")
    submit(browser, browser.find_element(By.ID, "signin"))
    assert "账号或密码错误" in browser.find_element(By.ID, "error").text
    shot(browser, "login", office.backend)
    sign_in(browser, office.url, "王主任", ADMIN_PW)

    # --- halls at a glance ---
    assert "/console/halls" in browser.current_url
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-code="xingfu"]')
    assert "在线" in row.find_element(By.CSS_SELECTOR, "td.state").text
    assert "纸将尽" in row.text and "0.1.0" in row.text and "武侯区" in row.text
    assert row.find_element(By.CSS_SELECTOR, "td.issued").text == "6"
    assert row.find_element(By.CSS_SELECTOR, "td.served").text == "4"
    assert row.find_element(By.CSS_SELECTOR, "td.waiting").text == "2"
    assert row.find_element(By.CSS_SELECTOR, "td.wait").text == "5.0"
    silent = browser.find_element(By.CSS_SELECTOR, 'tr[data-code="yulin"]')
    assert "silent" in silent.get_attribute("class") and "从未同步" in silent.text
    # The live refresh: the page's script reads the JSON the same way.
    live = browser.execute_async_script(
        "const done = arguments[0]; fetch('/console/halls.json').then(r => r.json()).then(done);")
    assert {h["code"]: h["printer"]["text"] if h["printer"] else None for h in live["halls"]} == \
        {"xingfu": "打印机：纸将尽", "yulin": None}
    shot(browser, "halls", office.backend)

    # --- edit a guide in the browser and publish it to the halls tagged 武侯区 ---
    guide = next(r["data"] for r in sample_records if r["kind"] == "guide")
    browser.get(f"{office.url}/console/content/{guide['uid']}")
    fees = browser.find_element(By.ID, "f_fees")
    fees.clear()
    fees.send_keys("工本费 10 元（示例）")
    browser.find_element(By.ID, "to-tags").click()
    browser.find_element(By.NAME, "tags").send_keys("武侯区")
    submit(browser, browser.find_element(By.ID, "publish"))
    message = WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "message"))).text
    assert "已发布 第 2 版" in message
    # A field the validation refuses is shown in red and nothing is published.
    name = browser.find_element(By.ID, "f_name")
    name.clear()
    submit(browser, browser.find_element(By.ID, "publish"))
    assert "未发布" in WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "message"))).text
    assert browser.find_elements(By.CSS_SELECTOR, "label.field.bad #f_name")
    with office.db.sessions() as s:
        assert store.unpublished_guide(s, guide["uid"])["fees"] == "工本费 10 元（示例）"
    # The hall gets it with its next sync round.
    worker.sync_once()
    with cache.sessions() as s:
        got = s.scalar(select(ContentRevision).where(ContentRevision.record_uid == guide["uid"],
                                                     ContentRevision.version == 2))
    assert got is not None and got.data["fees"] == "工本费 10 元（示例）"
    # Versions: the diff shows the changed field, restore makes v3 with the old text.
    browser.get(f"{office.url}/console/content/{guide['uid']}")
    submit(browser, browser.find_element(By.LINK_TEXT, "对比"))
    diff = browser.find_element(By.ID, "diff").text
    assert "收费标准" in diff and "工本费 10 元（示例）" in diff
    browser.back()
    shot(browser, "content", office.backend)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#versions form button"))
    assert "第 3 版" in WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "message"))).text
    with office.db.sessions() as s:
        assert store.unpublished_guide(s, guide["uid"])["fees"] == guide.get("fees", "")

    # --- statistics: the same numbers as /api/v1/stats ---
    browser.get(f"{office.url}/console/stats?since={today}&until={today}")
    Select(browser.find_element(By.ID, "by")).select_by_value("hall,business")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#filters button"))
    cells = browser.find_element(By.CSS_SELECTOR, "#figures tbody tr").find_elements(By.TAG_NAME, "td")
    api = requests.get(f"{office.url}/api/v1/stats", params={"since": str(today), "until": str(today)},
                       headers={"Authorization": f"Bearer {office.admin_token}"}, timeout=10).json()
    assert [c.text for c in cells[:6]] == ["xingfu", "labor", str(api[0]["tickets"]), str(api[0]["served"]), "0", "2"]
    assert cells[6].text == str(api[0]["avg_wait_min"]) and cells[7].text == str(api[0]["avg_service_min"])
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect")
    shot(browser, "stats", office.backend)
    csv = browser.execute_async_script(
        "const done = arguments[0]; fetch(document.getElementById('csv').href).then(r => r.text()).then(done);")
    assert csv.lstrip("\ufeff").splitlines()[1].startswith("xingfu,labor,6,4,0,2,5.0,5.0,5.0,5.0")

    # --- accounts: an admin revokes an admin token from the console ---
    browser.get(f"{office.url}/console/accounts")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#tokens form button"))
    assert "已吊销管理令牌" in browser.find_element(By.ID, "message").text
    shot(browser, "accounts", office.backend)

    # --- a viewer reads but cannot edit ---
    sign_in(browser, office.url, "李查看", VIEWER_PW)
    browser.get(f"{office.url}/console/content/{guide['uid']}")
    assert not browser.find_elements(By.ID, "publish")
    assert browser.find_element(By.ID, "f_fees").get_attribute("readonly") is not None
    assert not browser.find_elements(By.LINK_TEXT, "账号与令牌")
    status = browser.execute_async_script("""
        const done = arguments[1];
        const csrf = document.querySelector('input[name=csrf]').value;
        fetch('/console/content/save', {method: 'POST', body: new URLSearchParams(
            {csrf: csrf, kind: 'guide', uid: arguments[0], f_fees: 'x', to: 'all'})}).then(r => done(r.status));
    """, guide["uid"])
    assert status == 403
    browser.get(f"{office.url}/console/accounts")
    assert "没有权限" in browser.find_element(By.ID, "error").text
