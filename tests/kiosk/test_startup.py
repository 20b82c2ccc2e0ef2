"""The start-up snapshot (kiosk/startup.py): what the first home screen is drawn from."""

from datetime import date

from kiosk.services.catalog_items import CategoryInfo, NoticeInfo
from kiosk.startup import HomeContent, KioskSettings, SnapshotStore, StartupSnapshot

SETTINGS = KioskSettings(hall_name="幸福社区工作站", timezone="Asia/Shanghai", orientation="landscape",
                         fullscreen=True, language="zh_CN", large_text=False, idle_seconds=90, ui_font="/f.ttc")
HOME = HomeContent(
    (CategoryInfo("civil", "民政事务", "Civil Affairs", "civil", 2, 7),),
    (NoticeInfo("n1", "元旦假期安排", "正文", date(2026, 12, 20), date(2027, 1, 3)),),
)


def store(tmp_path, config_text: str | None = "[hall]\nname = '幸福社区工作站'\n"):
    config = None
    if config_text is not None:
        config = tmp_path / "hall.toml"
        config.write_text(config_text, encoding="utf-8")
    return SnapshotStore(config, tmp_path / "data", directory=tmp_path / "cache")


def test_a_saved_snapshot_loads_back_equal(tmp_path):
    s = store(tmp_path)
    assert s.load() is None  # nothing saved yet: the slower start
    s.save(StartupSnapshot(SETTINGS, HOME, utc_offset_s=8 * 3600))
    assert s.load() == StartupSnapshot(SETTINGS, HOME, utc_offset_s=8 * 3600)
    assert s.load().zone().utcoffset(None).total_seconds() == 8 * 3600
    assert [p.name for p in s.path.parent.iterdir()] == [s.path.name]  # no temporary file left


def test_the_built_in_config_has_its_own_snapshot(tmp_path):
    builtin, with_file = store(tmp_path, None), store(tmp_path)
    assert builtin.path != with_file.path
    builtin.save(StartupSnapshot(SETTINGS, HOME))
    assert builtin.load() == StartupSnapshot(SETTINGS, HOME)
    assert with_file.load() is None


def test_a_changed_config_makes_the_snapshot_stale(tmp_path):
    s = store(tmp_path)
    s.save(StartupSnapshot(SETTINGS, HOME))
    s.config_path.write_text("[hall]\nname = '和平社区工作站'\n", encoding="utf-8")
    assert s.load() is None
    s.config_path.unlink()  # an unreadable config: no snapshot, and the full start reports the problem
    assert s.load() is None


def test_another_data_dir_is_another_snapshot(tmp_path):
    s = store(tmp_path)
    s.save(StartupSnapshot(SETTINGS, HOME))
    other = SnapshotStore(s.config_path, tmp_path / "elsewhere", directory=tmp_path / "cache")
    assert other.load() is None


def test_a_damaged_snapshot_is_ignored_not_fatal(tmp_path, caplog):
    s = store(tmp_path)
    s.save(StartupSnapshot(SETTINGS, HOME))
    text = s.path.read_text(encoding="utf-8")
    for damaged in (text[: len(text) // 2], "[]", '{"key": 1}', text.replace('"guide_count"', '"guides"'), "\x00\xff"):
        s.path.write_text(damaged, encoding="utf-8", errors="surrogateescape")
        assert s.load() is None
    assert "ignoring the start-up snapshot" in caplog.text


def test_saving_into_an_unwritable_place_only_logs(tmp_path, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be")
    s = store(tmp_path)
    s.save(StartupSnapshot(SETTINGS, HOME))
    assert "could not save the start-up snapshot" in caplog.text


def test_home_content_shows_only_the_notices_of_the_day():
    assert [n.uid for n in HOME.notices(date(2026, 12, 25))] == ["n1"]
    assert HOME.notices(date(2026, 12, 19)) == [] and HOME.notices(date(2027, 1, 4)) == []
    assert HOME.categories() == list(HOME.areas)


def test_a_snapshot_of_the_live_hall_holds_what_the_home_shows_and_the_hall_offset():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.config import HallConfig

    config = HallConfig()
    snapshot = StartupSnapshot.of(config, HOME, datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert snapshot.settings == KioskSettings.of(config)
    assert snapshot.home.areas == HOME.areas and snapshot.home.current_notices == ()  # the notice starts in December
    assert snapshot.utc_offset_s == 8 * 3600
