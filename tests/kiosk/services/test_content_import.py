"""Content bundles into and out of the hall cache, and the `yizhan content` commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.cli import main
from kiosk.config import HallConfig
from kiosk.services.auth import hash_pin, verify_pin
from kiosk.services.content import apply_content, export_bundle, import_bundle
from sync.cache import models as m
from sync.cache.db import open_cache
from sync.content import Category, ContentBundle, ContentError, derive_uid
from sync.content_files import SAMPLE_DIR, dump_bundle, load_bundle


@pytest.fixture(scope="module")
def sample() -> ContentBundle:
    return load_bundle(SAMPLE_DIR)


def without_staff(bundle: ContentBundle) -> ContentBundle:
    return bundle.model_copy(update={"staff": []})


def counts(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {row.__name__: session.scalar(select(func.count()).select_from(row))
            for row in (m.Category, m.ServiceGuide, m.BusinessType, m.Window, m.WindowService, m.Notice, m.Staff)}


def test_import_then_export_gives_the_same_bundle(cache, sample: ContentBundle, tmp_path: Path) -> None:
    with cache.transaction() as s:
        report = import_bundle(s, sample)
    assert report.created["guide"] == len(sample.guides) and report.created["window"] == 5
    assert report.staff_created == ["李文", "陈静", "王建国"]
    with cache.sessions() as s:
        exported = export_bundle(s)
    assert exported == without_staff(sample)
    # ...and through the files too: load(dump(export)) == original
    assert load_bundle(dump_bundle(exported, tmp_path / "out")) == without_staff(sample)


def test_rows_hold_the_content(cache, sample: ContentBundle) -> None:
    with cache.transaction() as s:
        import_bundle(s, sample)
    with cache.sessions() as s:
        dibao = s.scalar(select(m.ServiceGuide).where(m.ServiceGuide.uid == derive_uid("guide", "MZ-001")))
        assert dibao.category.code == "civil" and dibao.business_type.prefix == "B" and dibao.version == 1
        assert dibao.materials[0] == {"name": "《最低生活保障申请书》", "copies": 1, "form": "original",
                                      "notes": "窗口领取，所有共同生活家庭成员签字"}
        window5 = s.scalar(select(m.Window).where(m.Window.number == 5))
        assert [(ws.business_type.code, ws.priority) for ws in window5.services] == [
            ("safety", 0), ("culture", 1), ("labor", 2)]
        head = s.scalar(select(m.Staff).where(m.Staff.name == "王建国"))
        assert head.role == "head" and head.pin_hash.startswith("scrypt$") and "3333" not in head.pin_hash
        assert verify_pin("3333", head.pin_hash) and not verify_pin("1111", head.pin_hash)
        assert s.scalar(select(m.AuditLog).where(m.AuditLog.action == "content_import")) is not None


def test_reimport_updates_by_uid_and_bumps_versions(cache, sample: ContentBundle) -> None:
    with cache.transaction() as s:
        import_bundle(s, sample)
        s.add(m.Staff(name="新同事", role="clerk", pin_hash=hash_pin("9999")))
    guides = [g.model_copy(update={"name": "最低生活保障（低保）申请"}) if g.code == "MZ-001" else g
              for g in sample.guides]
    windows = [w.model_copy(update={"businesses": ["labor", "safety"]}) if w.number == 5 else w
               for w in sample.windows]
    changed = sample.model_copy(update={"guides": guides, "windows": windows})
    with cache.transaction() as s:
        report = import_bundle(s, changed)
    assert report.updated == {"guide": 1, "window": 1}
    assert report.created.total() == 0 and report.staff_created == []
    assert report.staff_kept == ["李文", "陈静", "王建国"]
    with cache.sessions() as s:
        assert export_bundle(s) == without_staff(changed)
        versions = dict(s.execute(select(m.ServiceGuide.code, m.ServiceGuide.version)).all())
        assert versions["MZ-001"] == 2 and versions["MZ-002"] == 1
        assert s.scalar(select(m.Window.version).where(m.Window.number == 5)) == 2
        assert s.scalar(select(func.count()).select_from(m.Staff)) == 4  # the real account is untouched


def test_existing_staff_pin_is_never_reset(cache, sample: ContentBundle) -> None:
    with cache.transaction() as s:
        s.add(m.Staff(name="李文", role="clerk", pin_hash=hash_pin("5678")))
    with cache.transaction() as s:
        import_bundle(s, sample)
    with cache.sessions() as s:
        li = s.scalar(select(m.Staff).where(m.Staff.name == "李文"))
        assert verify_pin("5678", li.pin_hash) and not verify_pin("1111", li.pin_hash)


def test_a_clash_with_another_record_rolls_everything_back(cache, sample: ContentBundle) -> None:
    with cache.transaction() as s:
        s.add(m.Category(code="culture", name="别的文体", uid="11111111-2222-4333-8444-555555555555"))
    with cache.sessions() as s:
        before = counts(s)
    with pytest.raises(ContentError) as info, cache.transaction() as s:
        import_bundle(s, sample)
    assert "culture" in str(info.value) and "11111111-2222-4333-8444-555555555555" in str(info.value)
    with cache.sessions() as s:
        assert counts(s) == before


def test_apply_content_writes_one_record_at_a_version(cache, sample: ContentBundle) -> None:
    with cache.transaction() as s:
        import_bundle(s, sample)
    data = next(g for g in sample.guides if g.code == "LD-001").model_dump(mode="json")
    data["fees"] = "工本费10元"
    with cache.transaction() as s:
        row = apply_content(s, "guide", data, 7)
        assert row.version == 7 and row.fees == "工本费10元"
        new = Category(code="extra", name="其他", name_en="Other", icon="other", sort_order=9)
        assert apply_content(s, "category", new.model_dump(mode="json"), 1).uid == derive_uid("category", "extra")
    with pytest.raises(ContentError), cache.transaction() as s:
        apply_content(s, "guide", {**data, "category": "nowhere"}, 8)


# --- the commands --------------------------------------------------------------------------


def cache_file(data_dir: Path) -> Path:
    config = HallConfig()
    config.hall.data_dir = data_dir
    return config.cache_path()


def test_cli_import_and_export_round_trip(tmp_path: Path, sample: ContentBundle, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    assert main(["content", "import", str(SAMPLE_DIR), "--data-dir", str(data)]) == 0
    assert "新增 42" in capsys.readouterr().out
    assert main(["content", "export", str(tmp_path / "out"), "--data-dir", str(data)]) == 0
    assert load_bundle(tmp_path / "out") == without_staff(sample)


def test_cli_import_of_a_broken_folder_changes_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    assert main(["content", "import", str(SAMPLE_DIR), "--data-dir", str(data)]) == 0
    broken = tmp_path / "broken"
    shutil.copytree(SAMPLE_DIR, broken)
    civil = broken / "guides" / "civil.yaml"
    text = civil.read_text(encoding="utf-8")
    text = text.replace("name: 最低生活保障申请", "name: 改过的名字", 1)  # a valid change...
    text = text.replace("        form: original\n", '        copies: "two"\n', 1)  # ...and a bad one
    civil.write_text(text, encoding="utf-8")
    (broken / "hall.yaml").write_text(
        (broken / "hall.yaml").read_text(encoding="utf-8").replace("prefix: C", "prefix: A"), encoding="utf-8")
    capsys.readouterr()

    assert main(["content", "import", str(broken), "--data-dir", str(data)]) != 0
    err = capsys.readouterr().err
    assert f"{civil}:" in err and "entry guide MZ-001 field materials.1.copies" in err
    assert "entry business health field prefix" in err and "nothing was imported" in err

    cache = open_cache(cache_file(data))
    try:
        with cache.sessions() as s:
            names = set(s.scalars(select(m.ServiceGuide.name)))
            assert "改过的名字" not in names and "最低生活保障申请" in names
    finally:
        cache.close()


def test_cli_export_without_a_cache_says_so(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["content", "export", str(tmp_path / "out"), "--data-dir", str(tmp_path / "none")]) == 1
    assert "no cache yet" in capsys.readouterr().err


def test_cli_import_that_clashes_in_the_cache_rolls_back(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # The files are fine, but the cache already holds a different window 5: the records
    # written before the clash must not stay behind.
    cache = open_cache(cache_file(tmp_path / "data"))
    try:
        with cache.transaction() as s:
            s.add(m.Window(number=5, name="别的窗口"))
    finally:
        cache.close()
    assert main(["content", "import", str(SAMPLE_DIR), "--data-dir", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert "窗口 5" in err and "nothing was imported" in err
    cache = open_cache(cache_file(tmp_path / "data"))
    try:
        with cache.sessions() as s:
            assert counts(s) == {"Category": 0, "ServiceGuide": 0, "BusinessType": 0, "Window": 1,
                                 "WindowService": 0, "Notice": 0, "Staff": 0}
    finally:
        cache.close()
