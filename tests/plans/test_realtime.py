"""Nudges to open pages: a worker sends them from a thread of its own, merged by plan."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from channels.layers import channel_layers

from plans import realtime


def test_nudges_waiting_to_be_sent_are_merged_by_plan_keeping_the_newest_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[list[tuple[Any, int, int]]] = []
    began, go_on = threading.Event(), threading.Event()

    async def send(changes: Sequence[tuple[Any, int, int]]) -> None:
        began.set()
        # The first round trip to the channel layer is slow; nudges pile up meanwhile.
        await asyncio.to_thread(go_on.wait, 5)
        sent.append(sorted(changes))

    monkeypatch.setattr(realtime, "_send", send)
    realtime.publish_in_background()
    try:
        realtime.publish_many([("plan-a", 1, 1)])
        assert began.wait(5)
        for event in range(2, 50):
            realtime.publish_many([("plan-a", 1, event), ("plan-b", 2, event + 100)])
        realtime.publish_many([("plan-b", 2, 7)])  # older than what is waiting: no effect
        go_on.set()
    finally:
        realtime.publish_in_foreground()

    # One nudge per plan for everything that piled up, each with the plan's newest event.
    assert sent == [[("plan-a", 1, 1)], [("plan-a", 1, 49), ("plan-b", 2, 149)]]


def test_a_failed_send_is_logged_and_later_nudges_still_go(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[list[tuple[Any, int, int]]] = []
    done = threading.Event()

    async def send(changes: Sequence[tuple[Any, int, int]]) -> None:
        if not sent and not caplog.records:
            raise ConnectionError("the channel layer is away")
        sent.append(list(changes))
        done.set()

    monkeypatch.setattr(realtime, "_send", send)
    realtime.publish_in_background()
    try:
        realtime.publish_many([("plan-a", 1, 1)])
        for _ in range(250):
            if caplog.records:
                break
            time.sleep(0.02)
        realtime.publish_many([("plan-a", 1, 2)])
        assert done.wait(5)
    finally:
        realtime.publish_in_foreground()

    assert "could not publish changes of 1 plan(s)" in caplog.text
    assert sent == [[("plan-a", 1, 2)]]


def test_sending_in_the_background_builds_the_channel_layer_before_the_first_nudge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a process that has not used the layer yet: building it (importing a Redis client)
    # must not fall to the sending thread at a worker's first step.
    monkeypatch.setattr(channel_layers, "backends", {})
    realtime.publish_in_background()
    try:
        assert "default" in channel_layers.backends
    finally:
        realtime.publish_in_foreground()
