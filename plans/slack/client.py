"""A small client for Slack's Web API: one POST per method, JSON in and out.

Slack answers 200 even when a call fails, with `{"ok": false, "error": "channel_not_found"}`;
that, a non-200 answer or a network error all raise SlackApiError with Slack's error code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
from django.conf import settings


class SlackApiError(Exception):
    """A Web API call that did not succeed; `error` is Slack's code (or what went wrong)."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"Slack {method}: {error}")
        self.method = method
        self.error = error


@cache
def _http() -> httpx.Client:
    # One client per process, kept: its connection pool and TLS set-up are reused, which a
    # click's answer needs to stay within Slack's 3 seconds. httpx clients are thread-safe.
    return httpx.Client()


def call(
    method: str, body: dict[str, Any], *, form: bool = False, timeout: float | None = None
) -> dict[str, Any]:
    """Call `method` (e.g. "chat.postMessage") with the bot token; Slack's answer if ok.

    JSON body by default; `form` sends it form-encoded, which read methods such as users.info
    need (Slack takes JSON bodies for write methods only).

    Raises SlackApiError if no bot token is set, on a network error or timeout, on an answer
    other than 200 and on `"ok": false`.
    """
    token = settings.PLANGATE_SLACK_BOT_TOKEN
    if not token:
        raise SlackApiError(method, "PLANGATE_SLACK_BOT_TOKEN is not set")
    url = f"{settings.PLANGATE_SLACK_API_URL.rstrip('/')}/{method}"
    try:
        response = _http().post(
            url,
            data=body if form else None,
            json=None if form else body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout or settings.PLANGATE_SLACK_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise SlackApiError(method, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise SlackApiError(method, f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise SlackApiError(method, "the answer is not JSON") from exc
    if not isinstance(answer, dict) or not answer.get("ok"):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise SlackApiError(method, str(error or "no ok in the answer"))
    return answer


def post_message(
    channel: str, *, text: str, blocks: list[dict[str, Any]] | None = None, thread_ts: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": channel, "text": text}
    if blocks is not None:
        body["blocks"] = blocks
    if thread_ts:
        body["thread_ts"] = thread_ts
    # Plan text is escaped, never parsed for links or names (messages.escape).
    body["unfurl_links"] = False
    return call("chat.postMessage", body)


def post_ephemeral(channel: str, *, user: str, text: str, thread_ts: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"channel": channel, "user": user, "text": text}
    if thread_ts:
        body["thread_ts"] = thread_ts
    return call("chat.postEphemeral", body)


def user_email(user_id: str) -> str:
    """The email on a Slack user's profile ("" if Slack shows none: users:read.email missing)."""
    answer = call("users.info", {"user": user_id}, form=True)
    profile = (answer.get("user") or {}).get("profile") or {}
    email = profile.get("email")
    return email if isinstance(email, str) else ""
