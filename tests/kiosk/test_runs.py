"""The run log that turns a crash loop into the calm 暂停服务 screen (kiosk/runs.py)."""

from kiosk.runs import RunLog


def test_three_unclean_ends_within_the_window_pause_the_next_start(tmp_path):
    runs = RunLog(tmp_path, crashes=3, window_s=600)
    for at in (1000, 1100):
        runs.started(now=at)
    assert runs.paused(now=1150) is None  # two crashes: try again
    runs.started(now=1200)
    runs.ended(clean=False, reason="OSError: disk full")
    paused = runs.paused(now=1250)
    assert paused is not None and paused.crashes == 3
    assert paused.reason == "OSError: disk full"
    assert paused.retry_in_s == 350  # the oldest counted crash (1000) leaves the window at 1600


def test_clean_exits_do_not_count_and_old_crashes_expire(tmp_path):
    runs = RunLog(tmp_path, crashes=3, window_s=600)
    for at in (1000, 1100, 1200):
        runs.started(now=at)
        runs.ended(clean=True)
    assert runs.paused(now=1250) is None
    for at in (2000, 2100, 2200):
        runs.started(now=at)
    assert runs.paused(now=2300) is not None
    assert runs.paused(now=2601) is None  # 2000 has left the window: two crashes remain


def test_a_torn_or_foreign_file_never_stops_the_hall(tmp_path):
    (tmp_path / "runs.json").write_text('[{"at": 1', encoding="utf-8")
    runs = RunLog(tmp_path)
    assert runs.paused() is None
    runs.started()
    runs.ended(clean=True)
    assert runs.paused() is None
