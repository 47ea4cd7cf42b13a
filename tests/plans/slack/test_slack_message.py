"""The Slack message for a notification: what a reviewer reads in the channel, and the buttons
that decide."""

from __future__ import annotations

import json
from typing import Any

from plans.slack.messages import message
from tests.plans.slack.payloads import payload


def _text(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(field["text"] for field in block.get("fields", []))
    return "\n".join(parts)


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_it_shows_the_plan_and_offers_approve_request_changes_and_open() -> None:
    content = message(payload("plan.waiting"))

    text = _text(content["blocks"])
    assert "Rotate the API keys" in text
    assert "Rotate every API key of the billing service" in text
    assert "*Steps*\n4" in text
    assert "*Status*\ndraft" in text
    assert "*Version*\n3" in text
    assert "Rotate the API keys" in content["text"]
    approve, changes, open_ = _buttons(content["blocks"])
    assert approve["text"]["text"] == "Approve"
    assert changes["text"]["text"] == "Request changes"
    assert json.loads(approve["value"]) == {
        "plan": "5b0f7a34-7f0e-4c39-9d7a-2f1c1b6f4e10",
        "version": 3,
    }
    assert json.loads(changes["value"]) == json.loads(approve["value"])
    assert open_["text"]["text"] == "Open"
    assert open_["url"] == "https://plangate.example/plans/5b0f7a34-7f0e-4c39-9d7a-2f1c1b6f4e10/"


def test_it_names_the_gate_and_binds_its_approve_button_to_it() -> None:
    content = message(payload("gate.waiting", step_key="deploy", status="executing"))

    assert "Gate `deploy`" in _text(content["blocks"])
    buttons = _buttons(content["blocks"])
    assert [b["text"]["text"] for b in buttons] == ["Approve", "Open"]
    assert json.loads(buttons[0]["value"]) == {
        "plan": "5b0f7a34-7f0e-4c39-9d7a-2f1c1b6f4e10",
        "version": 3,
        "step": "deploy",
    }


def test_it_offers_only_open_once_the_plan_completed() -> None:
    content = message(payload("plan.completed", status="completed"))

    assert [b["text"]["text"] for b in _buttons(content["blocks"])] == ["Open"]
    assert content["text"].startswith("A plan completed")


def test_it_truncates_a_long_goal() -> None:
    content = message(payload(goal="word " * 400))

    assert max(len(block.get("text", {}).get("text", "")) for block in content["blocks"]) < 600
    assert "…" in _text(content["blocks"])


def test_it_escapes_mentions_and_links_in_plan_text() -> None:
    content = message(
        payload(
            title="Hi <!channel> & <@U123>",
            goal="Click <https://evil.example|Approve here> now",
            step_key="<!here>",
            kind="gate.waiting",
            team="a<b>",
        )
    )

    # Everything Slack shows; button values are data Slack sends back, never shown.
    shown = [content["text"], _text(content["blocks"])]
    shown += [b["text"]["text"] for b in _buttons(content["blocks"])]
    everything = "\n".join(shown)
    assert "<!channel>" not in everything
    assert "<@U123>" not in everything
    assert "<!here>" not in everything
    assert "<https://evil.example" not in everything
    text = _text(content["blocks"])
    assert "Hi &lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    assert "Click &lt;https://evil.example|Approve here&gt; now" in text
    assert "a&lt;b&gt;" in text
    assert "&lt;!channel&gt;" in content["text"]
    # And nothing is linked or mentioned from bare text either.
    assert all(block["text"].get("verbatim") for block in content["blocks"] if "text" in block)
