"""The hall's events are classes: a listener gets the class it subscribed to and its subclasses,
the sync worker's topic-and-fields announcements arrive as their classes, and an unknown topic
is refused by name."""

from __future__ import annotations

import pytest

from kiosk.services.events import (
    ContentChanged,
    Event,
    EventBus,
    SyncDone,
    TicketEvent,
    TicketRecalled,
    WindowPaused,
)


def test_a_listener_gets_its_class_and_its_subclasses_only():
    bus = EventBus()
    tickets, everything = [], []
    bus.subscribe(TicketEvent, tickets.append)
    bus.subscribe(Event, everything.append)
    recalled, paused = TicketRecalled(ticket=None, window_number=3), WindowPaused(3)  # type: ignore[arg-type]
    bus.publish(recalled)
    bus.publish(paused)
    assert tickets == [recalled] and everything == [recalled, paused]
    bus.unsubscribe(Event, everything.append)
    bus.publish(paused)
    assert everything == [recalled, paused]


def test_the_sync_workers_announcements_arrive_as_classes():
    bus = EventBus()
    seen = []
    bus.subscribe(Event, seen.append)
    bus.publish("content.changed", kind="guide", uid="u1", source="office")
    bus.publish("sync.done", pushed=2, pulled=1)
    assert seen == [ContentChanged("guide", "u1", source="office"), SyncDone(pushed=2, pulled=1)]
    with pytest.raises(ValueError, match="unknown event topic 'sync.nope'"):
        bus.publish("sync.nope", x=1)
    with pytest.raises(TypeError):
        bus.publish("sync.done", pushed=1, typo=2)  # a field the class does not have


def test_a_broken_listener_does_not_stop_the_others():
    bus = EventBus()
    seen = []

    def broken(_event):
        raise RuntimeError("listener bug")

    bus.subscribe(WindowPaused, broken)
    bus.subscribe(Event, seen.append)
    bus.publish(WindowPaused(1))
    assert seen == [WindowPaused(1)]
