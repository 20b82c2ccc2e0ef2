"""The queue's rules on their own: the order of the kinds a window calls, the priority streak,
where a returning ticket goes back in, and the wait estimate's arithmetic. (Which ticket a
window actually gets, against a real cache, is test_queue.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.config import QueueSection
from kiosk.services.queue_rules import kinds_to_call, priority_streak, returning_key, wait_minutes

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("rule", "streak", "kinds"), [
    ("first", 9, [True, False]),  # priority first, however many in a row
    ("ratio", 2, [True, False]),
    ("ratio", 3, [False, True]),  # the ratio reached: one regular ticket goes through first
    ("off", 5, [None]),  # both kinds alike
])
def test_kinds_a_window_looks_for_in_turn(rule, streak, kinds):
    assert kinds_to_call(rule, streak, ratio=3) == kinds


def test_the_streak_counts_priority_calls_back_to_the_first_regular_one():
    yes, no = {"priority": True}, {"priority": False}
    assert priority_streak([yes, yes, no, yes]) == 2
    assert priority_streak([{"priority": True}, None, {"priority": True}]) == 1  # no detail: not priority
    assert priority_streak([{"reason": "老人", "priority": True}, {}]) == 1
    assert priority_streak([]) == 0


def test_a_returning_ticket_goes_after_n_of_those_waiting():
    waiting = [10.0, 20.0, 30.0, 40.0]
    after = QueueSection(skip_return="after", skip_return_after=3)
    assert returning_key(waiting, after, NOW) == 35.0  # between the third and the fourth
    assert returning_key(waiting[:3], after, NOW) == 30.0 + 1e-3  # only three: last
    assert returning_key(waiting, QueueSection(skip_return="after", skip_return_after=0), NOW) == 9.0
    assert returning_key(waiting, QueueSection(skip_return="front"), NOW) == 9.0
    assert returning_key([], after, NOW) == NOW.timestamp()  # nobody waits: its key is now


def test_wait_minutes():
    assert wait_minutes(0, 2, 12.0) == 0
    assert wait_minutes(3, 0, 12.0) is None  # no window open: no estimate
    assert wait_minutes(3, 2, 12.0) == 18
    assert wait_minutes(1, 4, 0.5) == 1  # never "0 minutes" with someone ahead
    assert wait_minutes(5, 3, 7.0) == 12  # rounded up
