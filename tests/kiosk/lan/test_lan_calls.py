"""The console's worker for hall calls: jobs run off the caller's thread, one at a time and in
order; results and exceptions come back only when the caller takes them."""

from __future__ import annotations

import threading
import time

from kiosk.lan.calls import Calls


def take_all(calls, n, timeout=10.0):
    got, end = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        done = calls.take_one()
        if done is None:
            time.sleep(0.005)
        else:
            got.append(done)
    return got


def test_jobs_run_on_the_worker_in_order_and_errors_come_back():
    calls = Calls()
    release = threading.Event()
    first = calls.submit(lambda: (release.wait(5), threading.current_thread().name)[1])
    second = calls.submit(lambda x: 10 // x, 0)
    third = calls.submit(lambda x, y=1: x + y, 1, y=2)
    assert calls.take_one() is None  # the first job is still running: nothing to take, no waiting
    release.set()
    got = take_all(calls, 3)
    assert [g[0] for g in got] == [first, second, third]
    assert got[0][1] == "hall-calls" and got[0][2] is None
    assert got[1][1] is None and isinstance(got[1][2], ZeroDivisionError)
    assert got[2][1:] == (3, None)
    calls.close()
    again = calls.submit(lambda: "after close")  # a closed console shown again works again
    assert take_all(calls, 1) == [(again, "after close", None)]
    calls.close()


def test_in_process_runs_at_once_on_the_caller():
    calls = Calls(background=False)
    job = calls.submit(threading.current_thread)
    assert calls.take_one() == (job, threading.current_thread(), None)
