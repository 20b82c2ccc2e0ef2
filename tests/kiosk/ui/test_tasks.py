"""One way off the GUI thread (kiosk/ui/tasks.py): the work runs on a worker thread, its answer
or its error comes back on the GUI thread, and nothing is delivered to a widget that is gone."""

from __future__ import annotations

import logging
import threading

import pytest
import shiboken6
from PySide6.QtWidgets import QLabel

from kiosk.ui.tasks import TaskRunner, tasks


@pytest.fixture
def runner(qapp):
    return TaskRunner(parent=qapp)


def test_the_answer_comes_back_on_the_gui_thread(qtbot, runner):
    ran_on, answered_on, answers = [], [], []

    def work(a: int, b: int) -> int:
        ran_on.append(threading.current_thread())
        return a + b

    def done(result: int) -> None:
        answered_on.append(threading.current_thread())
        answers.append(result)

    runner.run(work, 2, b=3).on_done(done)
    qtbot.waitUntil(lambda: answers == [5])
    assert ran_on[0] is not threading.main_thread() and answered_on == [threading.main_thread()]


def test_an_error_goes_to_on_error_or_to_the_log(qtbot, runner, caplog):
    errors = []

    def broken() -> None:
        raise OSError("paper out")

    runner.run(broken).on_done(lambda _r: errors.append("done?")).on_error(errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], OSError) and str(errors[0]) == "paper out"
    with caplog.at_level(logging.ERROR, logger="kiosk.ui.tasks"):
        runner.run(broken)
        qtbot.waitUntil(lambda: "paper out" in caplog.text)
    assert "broken" in caplog.text  # names the task


def test_nothing_is_delivered_to_a_widget_that_is_gone(qtbot, runner):
    release = threading.Event()
    label = QLabel("正在打印号票……")
    calls = []
    runner.run(release.wait, 5, owner=label).on_done(lambda _r: calls.append(label.text()))
    label.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(label))
    release.set()
    later = []
    runner.run(lambda: "after").on_done(later.append)  # the inbox is read past the dropped answer
    qtbot.waitUntil(lambda: later == ["after"])
    assert calls == []


def test_several_tasks_run_at_once_on_a_few_workers(qtbot, runner):
    started, release, done = threading.Semaphore(0), threading.Event(), []

    def hold(n: int) -> int:
        started.release()
        release.wait(5)
        return n

    for n in range(3):
        runner.run(hold, n).on_done(done.append)
    for _ in range(3):  # all three running together: no task waits behind a slow one
        assert started.acquire(timeout=5)
    release.set()
    qtbot.waitUntil(lambda: sorted(done) == [0, 1, 2])


def test_post_calls_back_on_the_gui_thread_from_any_thread(qtbot, runner):
    called_on, gone = [], QLabel("冲突")
    keep = QLabel("冲突")
    thread = threading.Thread(target=lambda: (runner.post(lambda: called_on.append(threading.current_thread()), keep),
                                              runner.post(lambda: called_on.append(gone.text()), gone)))
    gone.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(gone))
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: called_on == [threading.main_thread()])
    later = []
    runner.run(lambda: "after").on_done(later.append)  # the inbox is read past the dropped call
    qtbot.waitUntil(lambda: later == ["after"])
    assert called_on == [threading.main_thread()]


def test_a_lane_runs_its_tasks_one_at_a_time_in_order(qtbot, runner):
    release, running, answers = threading.Event(), [], []

    def first() -> str:
        running.append("first")
        release.wait(5)
        running.remove("first")
        return "first"

    def second(x: int) -> int:
        running.append("second")
        return 10 // x

    lane = runner.lane()
    lane.run(first).on_done(answers.append)
    lane.run(second, 0).on_error(answers.append)  # an error does not stop the lane
    lane.run(lambda x, y=1: x + y, 1, y=2).on_done(answers.append)
    qtbot.waitUntil(lambda: running == ["first"])
    qtbot.wait(50)
    assert running == ["first"] and answers == []  # the second waits behind the first
    release.set()
    qtbot.waitUntil(lambda: len(answers) == 3)
    assert answers[0] == "first" and isinstance(answers[1], ZeroDivisionError) and answers[2] == 3


def test_a_lane_drops_answers_for_its_owner_once_gone_and_goes_on(qtbot, runner):
    label = QLabel("1号窗口")
    release, calls = threading.Event(), []
    lane = runner.lane(owner=label)
    lane.run(release.wait, 5).on_done(lambda _r: calls.append(label.text()))
    lane.run(lambda: "queued").on_done(lambda _r: calls.append(label.text()))
    label.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(label))
    release.set()
    after = []
    runner.lane().run(lambda: "after").on_done(after.append)
    qtbot.waitUntil(lambda: after == ["after"])
    qtbot.waitUntil(lambda: not lane._busy)  # the queued task ran too; nothing reached the label
    assert calls == []


def test_the_app_has_one_runner(qapp):
    assert tasks() is tasks() and tasks().parent() is qapp
