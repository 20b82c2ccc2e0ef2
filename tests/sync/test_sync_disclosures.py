"""政务公开 / 财务公开 tables: the office publishes them (CLI and API, with the shared content
rules), a real hall pulls them in a sync round over loopback HTTP and its catalogue shows them."""

from __future__ import annotations

import uuid
from datetime import date

import requests
from sqlalchemy import select

from kiosk.cli import main
from kiosk.hall import Hall
from kiosk.services.catalog import Catalog
from kiosk.services.content import apply_content
from sync.client import SyncWorker
from sync.office.db import OfficeDB
from sync.office.models import ContentRecord

TODAY = date(2026, 12, 3)


def table(**changes) -> dict:
    return {"uid": str(uuid.uuid4()), "title": "幸福社区工作站2026年11月经费收支公开", "kind": "finance",
            "period": "2026年11月", "responsible": "王建国（站长）", "published_on": "2026-12-01",
            "starts_on": "2026-12-01", "ends_on": "2027-03-01", "columns": ["项目", "金额（元）"],
            "rows": [["街道办拨付社区工作经费", "30,000.00"], ["办公用品", "1,200.00"]], **changes}


def post(office, records, halls="all") -> requests.Response:
    return requests.post(f"{office.url}/api/v1/admin/publish", json={"records": records, "halls": halls},
                         headers={"Authorization": f"Bearer {office.admin_token}"}, timeout=10)


def test_office_publishes_tables_and_the_hall_shows_them(office, tmp_path, hall_config, sample_records):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")  # the sample folder carries two tables
    assert sum(r["kind"] == "disclosure" for r in sample_records) == 2
    new = table()
    assert post(office, [{"kind": "disclosure", "data": new}]).status_code == 200

    config = hall_config.model_copy(deep=True)
    config.hall.data_dir = tmp_path / "hall"
    hall = Hall(config)
    try:
        SyncWorker(hall.cache, office.url, token, apply_content=apply_content).sync_once()
        tables = Catalog(hall.cache, hall.events).disclosures(TODAY)
        titles = {d.title for d in tables}
        assert new["title"] in titles and "幸福社区工作站2026年10月经费收支公开" in titles
        mine = next(d for d in tables if d.uid == new["uid"])
        assert (mine.period, mine.responsible, mine.rows[0]) == ("2026年11月", "王建国（站长）",
                                                                 ["街道办拨付社区工作经费", "30,000.00"])
    finally:
        hall.close()


def test_bad_tables_are_refused_naming_the_field(office):
    office.add_hall("幸福社区工作站", "xingfu")
    short_row = table(rows=[["街道办拨付社区工作经费"]])
    r = post(office, [{"kind": "disclosure", "data": short_row}])
    assert r.status_code == 422 and "公示表" in r.json()["detail"]["message"]
    assert "1 cells for 2 columns" in r.json()["detail"]["message"]
    script = table(rows=[["详情 javascript:alert(1)", "1.00"]])
    r = post(office, [{"kind": "disclosure", "data": script}])
    assert r.status_code == 422 and "field rows.0.0" in r.json()["detail"]["message"]
    with office.db.sessions() as s:
        assert s.scalars(select(ContentRecord).where(ContentRecord.kind == "disclosure")).all() == []


def test_office_publish_cli_carries_the_sample_tables(tmp_path, capsys):
    from sync.content_files import SAMPLE_DIR

    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    assert main(["office", "add-hall", "幸福社区工作站", "--code", "xingfu", "--database", url]) == 0
    assert main(["office", "publish", str(SAMPLE_DIR), "--database", url]) == 0
    db = OfficeDB(url)
    with db.sessions() as s:
        kinds = {d["kind"] for d in s.scalars(select(ContentRecord.data).where(ContentRecord.kind == "disclosure"))}
    db.close()
    assert kinds == {"finance", "government"}
