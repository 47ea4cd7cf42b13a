"""The OpenAPI document describes Slack's interactivity endpoint: a signed form body, no token."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_it_declares_the_slack_endpoint_with_its_form_body_and_headers(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/slack/interactions"]["post"]

    assert "security" not in operation
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["payload"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Slack-Signature", "X-Slack-Request-Timestamp"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][ok.rsplit("/", 1)[1]]["properties"]) == {
        "text",
        "decided",
    }
    assert "application/json" in operation["responses"]["401"]["content"]
