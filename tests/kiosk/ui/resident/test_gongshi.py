"""The kiosk's 公示 screen: 政务公开 and 财务公开 tables the office published, with their period
and responsible person, reached from the home screen's 公示 card, in Chinese and English."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from test_kiosk import tap, texts

from kiosk.services.content import apply_content
from sync.content import Disclosure


def finance_table(today: date, **changes) -> dict:
    return Disclosure(**{
        "title": "幸福社区工作站2026年10月经费收支公开", "kind": "finance", "period": "2026年10月",
        "responsible": "王建国（站长）", "published_on": today - timedelta(days=3),
        "starts_on": today - timedelta(days=3), "ends_on": today + timedelta(days=30),
        "columns": ["类别", "项目", "金额（元）"],
        "rows": [["收入", "街道办拨付社区工作经费", "30,000.00"], ["支出", "办公用品及耗材", "2,316.50"],
                 ["合计", "本月结余", "27,683.50"]],
        "notes": "原始凭证可在2号窗口查阅。", **changes}).model_dump(mode="json")


def publish(hall, data: dict, version: int = 1) -> None:
    with hall.cache.transaction() as s:  # as a pulled office change is applied
        apply_content(s, "disclosure", data, version)
    hall.events.publish("content.changed", kind="disclosure", uid=data["uid"], source="office")


def test_finance_table_on_the_gongshi_screen(qtbot, kiosk, kiosk_hall):
    today = datetime.now(kiosk.tz).date()
    publish(kiosk_hall, finance_table(today))
    publish(kiosk_hall, finance_table(today, title="2026年10月民生事项办理情况公开", kind="government",
                                      columns=["领域", "受理件数"], rows=[["劳动保障", "126"]], notes=""))
    # An old table whose display period is over is not shown.
    publish(kiosk_hall, finance_table(today, title="2025年经费收支公开", period="2025年",
                                      starts_on=today - timedelta(days=400), ends_on=today - timedelta(days=30)))
    kiosk.home()
    tap(qtbot, kiosk.screens["home"].gongshi_row)
    assert kiosk.current().name == "gongshi"
    shown = texts(kiosk.current())
    for words in ("公示栏", "政务公开", "财务公开", "幸福社区工作站2026年10月经费收支公开", "公示期间：2026年10月",
                  "责任人：王建国（站长）", "金额（元）", "27,683.50", "原始凭证可在2号窗口查阅。",
                  "2026年10月民生事项办理情况公开", "126", "公示公告"):
        assert words in shown, words
    assert "2025年经费收支公开" not in shown
    # 政务公开 comes before 财务公开, each table as its own card.
    assert shown.index("政务公开") < shown.index("财务公开") and len(kiosk.current().tables) == 2

    kiosk.language_button.click()
    shown = texts(kiosk.current())
    assert "Financial disclosure" in shown and "Responsible: 王建国（站长）" in shown


def test_gongshi_screen_without_tables_says_so(qtbot, kiosk):
    kiosk.home()
    tap(qtbot, kiosk.screens["home"].gongshi_row)
    assert "目前没有政务公开、财务公开表格" in texts(kiosk.current())
