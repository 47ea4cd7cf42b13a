"""Server-Sent Events, parsed line by line (the WHATWG event-stream format)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Message:
    event: str = "message"
    data: str = ""
    id: str | None = None


class Parser:
    """Feed it lines without their line ending; it returns a Message at each blank line that
    ends one. Comments (keep-alives) are dropped; `retry` is the server's reconnection delay."""

    def __init__(self) -> None:
        self.retry_seconds: float | None = None
        self._reset()

    def _reset(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._fields = False

    def feed(self, line: str) -> Message | None:
        if line == "":
            message = None
            if self._fields and (self._data or self._event):
                message = Message(self._event or "message", "\n".join(self._data), self._id)
            self._reset()
            return message
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        elif name == "retry" and value.isdigit():
            self.retry_seconds = int(value) / 1000
            return None
        else:
            return None
        self._fields = True
        return None
