"""A local stand-in for Slack's Web API: chat.postMessage, chat.postEphemeral and users.info,
served by http.server in a thread, recording every call it gets."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from django.test import Client

from plans.slack.signature import sign

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    authorization: str


@dataclass
class SlackStandIn:
    """What the stand-in answers: emails by Slack user id, and per method an error to answer
    with (`{"ok": false, "error": ...}`) instead of success, or a delay before answering."""

    emails: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering, by method: a slow Slack.
    delays: dict[str, float] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    url: str = ""

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.body for call in self.calls if call.method == method]

    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method in self.errors:
            return {"ok": False, "error": self.errors[method]}
        if method == "users.info":
            user = body.get("user", "")
            if user not in self.emails:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": self.emails[user]}}}
        if method in {"chat.postMessage", "chat.postEphemeral"}:
            return {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        return {"ok": False, "error": "unknown_method"}


def serve(standin: SlackStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Type", "").startswith("application/json"):
                body = json.loads(raw or b"{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            method = self.path.rsplit("/", 1)[-1]
            standin.calls.append(Call(method, body, self.headers.get("Authorization", "")))
            time.sleep(standin.delays.get(method, 0))
            data = json.dumps(standin.answer(method, body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    standin.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    return server


def click_body(
    plan_id: str,
    version: int,
    *,
    action: str = "plangate_approve",
    step: str = "",
    user: str = "U_ALICE",
    channel: str = "C_REVIEW",
    ts: str = "1700000000.000100",
) -> bytes:
    """The form body Slack sends for a click on one of Plangate's buttons."""
    value: dict[str, Any] = {"plan": plan_id, "version": version}
    if step:
        value["step"] = step
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "slack-name", "team_id": "T1"},
        "channel": {"id": channel, "name": "reviews"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "message": {"ts": ts, "text": "A plan waits for your decision"},
        "actions": [
            {
                "type": "button",
                "action_id": action,
                "block_id": "plangate_decision",
                "value": json.dumps(value),
                "action_ts": f"{time.time():.6f}",
            }
        ],
        "response_url": "https://hooks.slack.invalid/actions/1",
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed_headers(
    body: bytes, *, at: float | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(secret, timestamp, body),
    }


def post_click(body: bytes, headers: dict[str, str] | None = None) -> Any:
    return Client().post(
        "/api/v1/slack/interactions",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=signed_headers(body) if headers is None else headers,
    )
