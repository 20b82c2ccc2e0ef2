"""The live ticket page in a real headless Chromium at a phone's size: a call on the hall shows
without a reload once the hall pushes it, "快到您了" when few are ahead (with vibration),
"大厅离线，最后更新 HH:MM" when the hall stops syncing, and the phone's 好差评 after 办结."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from kiosk.hall import Hall as HallApp
from kiosk.lan.api import HallApiServer
from kiosk.services.queue import QueueService
from sync.client import SyncWorker
from sync.content_files import SAMPLE_DIR
from sync.office import store, wakeups
from sync.office.api import create_app
from sync.office.config import RatingsSection
from sync.office.db import OfficeDB
from sync.office.models import Hall, Rating, utcnow
from sync.office.server import bundle_records

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# the screenshots in docs/img are remade with YIZHAN_SHOTS=docs/img; else they go to a temporary folder
SHOTS = os.environ.get("YIZHAN_SHOTS", "")
ASSETS_FONTS = Path(__file__).resolve().parents[3] / "assets" / "fonts"


@pytest.fixture
def browser(tmp_path):
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("Debian's chromium and chromium-driver are needed (tools/setup.sh --test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(arg)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0},
        "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"})
    # the hall's bundled CJK font: phones have their own, this test machine may have none
    fonts = tmp_path / "fonts.conf"
    fonts.write_text(f'<?xml version="1.0"?><fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                     f'<dir>{ASSETS_FONTS}</dir><cachedir>{tmp_path / "fontcache"}</cachedir></fontconfig>')
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, env=env))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def world(tmp_path, hall_config):
    db = OfficeDB(f"sqlite:///{tmp_path / 'office.sqlite3'}")
    with db.sessions.begin() as s:
        hall_row, token = store.add_hall(s, "幸福社区", "xingfu")
        hall_id = hall_row.id
        store.publish(s, bundle_records(SAMPLE_DIR), "all", author="office")  # business names
    app = create_app(db, ratings=RatingsSection(near_ahead=2))
    server = HallApiServer(app).start()  # uvicorn on loopback (any app)
    hall = HallApp(hall_config)
    q = QueueService(hall.cache, hall.events, tz=hall.tz, config=hall.config)
    worker = SyncWorker(hall.cache, server.url, token, apply_content=lambda *a: None)
    try:
        yield db, app, server, hall_id, q, worker
    finally:
        hall.close()
        server.stop()
        db.close()


def save_shot(driver, tmp_path, name):
    folder = Path(SHOTS) if SHOTS else tmp_path
    driver.save_screenshot(str(folder / name))


def text_of(driver, element_id):
    return driver.find_element("id", element_id)


def shown(driver, element_id):
    return driver.execute_script(f"return !document.getElementById('{element_id}').hidden")


def wait(driver, check, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: check(d))


def test_the_call_and_almost_your_turn_show_without_reloading(browser, world, tmp_path):
    db, _app, server, hall_id, q, worker = world
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    for _ in range(3):
        q.issue_ticket(business)
    mine = q.issue_ticket(business)  # 3 ahead
    worker.sync_once()
    browser.get(f"{server.url}/t/{mine.uid}")
    assert text_of(browser, "label").text == mine.label
    assert text_of(browser, "ahead").text == "3" and not shown(browser, "near") and not shown(browser, "call")
    assert "A0" not in browser.page_source.split("<script")[0].replace(mine.label, "")  # no other ticket named
    browser.execute_script("window.buzzes=[];navigator.vibrate=p=>{window.buzzes.push(p);return true;};"
                           "window.loadedAt=performance.timeOrigin;")

    q.call_next(window)
    worker.sync_once()  # the hall pushes: the page's long poll answers
    wait(browser, lambda d: text_of(d, "ahead").text == "2")
    assert shown(browser, "near") and "快到您了" in text_of(browser, "near").text
    assert browser.execute_script("return window.buzzes.length") == 1

    q.call_next(window)
    q.call_next(window)
    worker.sync_once()
    wait(browser, lambda d: text_of(d, "ahead").text == "0")
    q.call_next(window)  # mine
    worker.sync_once()
    wait(browser, lambda d: shown(d, "call"))
    assert f"请到 {window} 号窗口办理" in text_of(browser, "call").text and not shown(browser, "near")
    assert browser.execute_script("return window.buzzes.length") == 2  # the call buzzes too
    assert browser.execute_script("return window.loadedAt") is not None  # the same page: never reloaded
    save_shot(browser, tmp_path, "ticket-live-called.png")

    # the hall stops syncing: the page says so with the last update time
    with db.sessions.begin() as s:
        s.execute(update(Hall).where(Hall.id == hall_id).values(last_seen_at=utcnow() - timedelta(minutes=10)))
        wakeups.note(s, wakeups.TICKETS, [hall_id])  # (as a push would: the pages look again)
    wait(browser, lambda d: shown(d, "offline"))
    assert "大厅离线，最后更新" in text_of(browser, "offline").text
    assert ":" in text_of(browser, "last-update").text
    save_shot(browser, tmp_path, "ticket-live-offline.png")


def test_the_phone_rates_a_finished_ticket_once(browser, world, tmp_path):
    db, _app, server, _hall_id, q, worker = world
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    mine = q.issue_ticket(business)
    worker.sync_once()
    browser.get(f"{server.url}/t/{mine.uid}")
    assert not shown(browser, "rating")  # waiting: nothing to rate yet
    q.call_next(window)
    q.finish(window)
    worker.sync_once()
    wait(browser, lambda d: shown(d, "rating"))
    save_shot(browser, tmp_path, "ticket-live-rate.png")
    browser.find_element("css selector", "input[name=level][value=dissatisfied]").click()
    browser.find_element("css selector", "input[name=reasons][value=long_wait]").click()
    browser.find_element("css selector", "textarea[name=comment]").send_keys("排了一个小时")
    browser.find_element("css selector", "#rate button[type=submit]").click()
    wait(browser, lambda d: shown(d, "rated"))
    assert not shown(browser, "rating") and "感谢您的评价" in text_of(browser, "rated").text
    with db.sessions() as s:
        rating = s.get(Rating, mine.uid)
        assert (rating.level, rating.reasons, rating.comment, rating.source) == (
            "dissatisfied", ["long_wait"], "排了一个小时", "phone")
