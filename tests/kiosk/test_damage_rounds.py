"""CI variant of tests/bench/damage_bench.py: ten rounds (each damage kind twice) of a forked hall
killed mid-issue, its cache damaged for real, restarted against a real office on loopback."""

from __future__ import annotations

from tests.bench import damage_bench


def test_ten_damaged_restarts_issue_no_number_twice_lose_no_unsynced_entry_and_bring_back_no_sample_pin():
    result = damage_bench.run(10, seed=5)
    assert result["rounds"] == 10
    assert set(result["tickets_lost_by_damage"]) == set(damage_bench.KINDS)
    assert result["tickets_shown"] > 0
    assert result["duplicated_numbers"] == 0
    assert result["unsynced_lost"] == 0
    assert result["sample_pin_resurrections"] == 0
