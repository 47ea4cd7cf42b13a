"""A stream whose connection breaks mid-way is resumed from the last event received, with
Last-Event-ID: the caller sees every event once. Here the network is a fake transport that
breaks the first connection after one event."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from plangate_client import Plangate, StreamBroken


def event(n: int) -> bytes:
    body = {"id": n, "kind": f"k{n}", "step_key": "", "actor": "system", "data": {}}
    return f"id: {n}\nevent: k{n}\ndata: {json.dumps(body)}\n\n".encode()


class Breaks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise httpx.ReadError("connection reset")


def test_it_resumes_a_broken_stream_from_the_last_event() -> None:
    asked_from: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked_from.append(request.headers["Last-Event-ID"])
        headers = {"Content-Type": "text/event-stream"}
        if len(asked_from) == 1:
            return httpx.Response(200, headers=headers, stream=Breaks([b"retry: 1\n\n", event(1)]))
        return httpx.Response(200, headers=headers, content=event(2) + b"event: end\ndata: {}\n\n")

    with Plangate("http://plangate.test", "pgt_x_y", transport=httpx.MockTransport(handler)) as pg:
        ids = [e["id"] for e in pg.stream("p")]
    assert ids == [1, 2]
    assert asked_from == ["0", "1"]


def test_it_gives_up_after_failing_again_and_again() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with (
        Plangate("http://plangate.test", "pgt_x_y", transport=httpx.MockTransport(handler)) as pg,
        pytest.raises(StreamBroken),
    ):
        list(pg.stream("p"))
