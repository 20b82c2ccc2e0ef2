"""The queue tests' hall: businesses and windows seeded, a queue service on a clock the test
moves. A test module that needs another start time overrides `clock`."""

from __future__ import annotations

import pytest

from tests.kiosk.services.queue_world import Clock, make_queue, seed_hall


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def q(cache, clock):
    seed_hall(cache)
    service, _ = make_queue(cache, clock)
    return service
