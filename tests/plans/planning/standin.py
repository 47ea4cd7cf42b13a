"""A stand-in for an OpenAI-compatible chat completions endpoint: answers from a script and
records what it was asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: Any = None  # the message content: a dict is sent as JSON text
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] = field(
        default_factory=lambda: {"prompt_tokens": 1000, "completion_tokens": 200}
    )


@dataclass
class StandIn:
    url: str
    script: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def asked(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]


def completion(reply: Reply) -> bytes:
    content = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
    return json.dumps(
        {
            "id": "cmpl-1",
            "object": "chat.completion",
            "model": "stand-in-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
            "usage": reply.usage,
        }
    ).encode()


@contextmanager
def stand_in(*script: Reply) -> Iterator[StandIn]:
    """Serve `script`, one reply per request, in order; the last one repeats."""
    state = StandIn(url="", script=list(script))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            index = min(len(state.requests), len(state.script)) - 1
            reply = state.script[index]
            if reply.delay:
                time.sleep(reply.delay)
            data = completion(reply) if reply.status == 200 else b'{"error": "stand-in"}'
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: what a timeout test wants

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
