"""Reading Server-Sent Events in tests, with httpx against a live server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Message:
    event: str = "message"
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


def messages(response: httpx.Response) -> Iterator[Message]:
    """Each message of an open text/event-stream answer as it arrives; comments and `retry:`
    lines come as messages of their own with event "" so tests can see keep-alives."""
    current = Message()
    lines: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if lines:
                yield current
            current, lines = Message(), []
            continue
        lines.append(line)
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            current.event = ""
            current.comments.append(value)
        elif name == "event":
            current.event = value
        elif name == "id":
            current.id = value
        elif name == "data":
            current.data = f"{current.data}\n{value}" if current.data else value
        elif name == "retry":
            current.event = ""


def client(address: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://{address}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(20),
    )
