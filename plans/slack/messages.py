"""The Slack message for a notification: Block Kit blocks built from an outbox payload.

Everything from a plan (title, goal, step keys, the team's name) is untrusted text: it is
escaped (`escape`) and every text object is `verbatim`, so a plan can neither mention people
(`<!channel>`, `<@U123>`) nor dress up a link (`<https://evil|Approve>`) in a reviewer's channel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

APPROVE_ACTION = "plangate_approve"
REQUEST_CHANGES_ACTION = "plangate_request_changes"
OPEN_ACTION = "plangate_open"
ACTIONS_BLOCK = "plangate_decision"
# Slack refuses a section text over 3000 characters; a goal is a summary, not the plan.
GOAL_LIMIT = 500
TITLE_LIMIT = 150

HEADLINES = {
    "plan.waiting": "A plan waits for your decision",
    "gate.waiting": "A gate waits for your approval",
    "plan.revised": "A plan was revised after a request for changes",
    "decision.escalated": "A decision was escalated to you",
    "deadline.soon": "A decision is due soon",
    "decision.timed_out": "A decision's deadline passed",
    "plan.completed": "A plan completed",
    "plan.failed": "A plan failed",
}
# Notifications about something still waiting for a decision carry the buttons to make it. A
# button pressed after the decision was made elsewhere is answered, never acted on twice.
DECIDABLE = frozenset(
    {"plan.waiting", "gate.waiting", "plan.revised", "decision.escalated", "deadline.soon"}
)


def escape(text: str) -> str:
    """Text shown as is: Slack's control characters &, < and > escaped as Slack documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class ButtonValue:
    """What a decision button carries: the plan, the version shown, and the gate if any."""

    plan_id: str
    version: int
    step_key: str = ""

    def encode(self) -> str:
        value: dict[str, Any] = {"plan": self.plan_id, "version": self.version}
        if self.step_key:
            value["step"] = self.step_key
        return json.dumps(value, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> ButtonValue:
        """Raises ValueError for anything that is not a value this module wrote."""
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError("button value is not an object")
        plan_id, version, step = value.get("plan"), value.get("version"), value.get("step", "")
        if not isinstance(plan_id, str) or not isinstance(step, str):
            raise ValueError("button value has no plan")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError("button value has no version")
        return cls(plan_id=plan_id, version=version, step_key=step)


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack turns no bare URL, #channel or @name in it into a link or a mention.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _button(text: str, action_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": False},
        "action_id": action_id,
        **fields,
    }


def headline(payload: dict[str, Any]) -> str:
    kind = str(payload.get("type", ""))
    step_key = str(payload.get("step_key") or "")
    if kind == "gate.waiting" and step_key:
        return f"Gate `{escape(truncate(step_key, TITLE_LIMIT))}` waits for your approval"
    text = HEADLINES.get(kind, "Plan update")
    if step_key:
        text += f" (gate `{escape(truncate(step_key, TITLE_LIMIT))}`)"
    return text


def message(payload: dict[str, Any]) -> dict[str, Any]:
    """`text` (the notification's fallback) and `blocks` for chat.postMessage."""
    plan = payload.get("plan") or {}
    step_key = str(payload.get("step_key") or "")
    title = escape(truncate(str(plan.get("title") or plan.get("goal") or "Untitled plan"), 150))
    goal = escape(truncate(str(plan.get("goal") or ""), GOAL_LIMIT))
    team = escape(truncate(str(payload.get("team") or ""), 100))
    status = escape(str(plan.get("status") or "").replace("_", " "))
    steps = plan.get("steps")
    version = plan.get("version")
    top = headline(payload)

    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": _mrkdwn(f"{top}\n*{title}*")},
    ]
    if goal:
        blocks.append({"type": "section", "text": _mrkdwn(goal)})
    blocks.append(
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Team*\n{team}"),
                _mrkdwn(f"*Status*\n{status}"),
                _mrkdwn(f"*Steps*\n{steps}"),
                _mrkdwn(f"*Version*\n{version}"),
            ],
        }
    )
    buttons = []
    if payload.get("type") in DECIDABLE and isinstance(version, int) and plan.get("id"):
        value = ButtonValue(plan_id=str(plan["id"]), version=version, step_key=step_key)
        buttons.append(_button("Approve", APPROVE_ACTION, style="primary", value=value.encode()))
        # Only a draft can be sent back; a gate waits in a running plan, where the choices are
        # to approve it or, on the plan's page, to skip it or cancel the plan.
        if not step_key:
            buttons.append(_button("Request changes", REQUEST_CHANGES_ACTION, value=value.encode()))
    if plan.get("url"):
        buttons.append(_button("Open", OPEN_ACTION, url=str(plan["url"])))
    if buttons:
        blocks.append({"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons})
    return {"text": f"{top}: {title}", "blocks": blocks}
