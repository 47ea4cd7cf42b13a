"""The plan page shows each step's guardrails and quality gate before approval (the executor's
from settings too), escaped; and after a run, what they found: warnings and the block."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle


def row(body: str, key: str) -> str:
    start = body.index(f'<tr id="{step_dom_id(key)}"')
    return body[start : body.index("</tr>", start)]


@pytest.fixture(autouse=True)
def checks(settings: Any) -> None:
    settings.PLANGATE_GUARDRAIL_CHECKS = guarded.CHECKS


def test_it_shows_what_will_be_checked_before_approval(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_GUARDRAILS = {"echo": {"output": [{"max_bytes": 5000}]}}
    plan = submit_plan(
        team,
        [
            step(
                "draft",
                guardrails={
                    "input": [{"deny": "<script>", "name": "no scripts"}],
                    "output": [{"check": "no_secrets", "mode": "warn"}],
                    "on_block": "ask",
                },
                quality={"path": "score", "min": 0.8},
            ),
            step("plain", "draft"),
        ],
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()
    html = row(body, "draft")

    assert "<strong>Guardrails</strong>" in html
    assert "<strong>max_bytes 5000</strong>" in html
    assert "every <code>echo</code> step" in html
    assert "<strong>no scripts</strong>" in html
    # The pattern is plan text: escaped.
    assert '<code class="guardrail-arg">&lt;script&gt;</code>' in html
    assert "a block asks a reviewer" in html
    assert "warns only" in html
    assert "the number at score must be at least 0.8" in html
    # A step with no guardrails of its own still shows its executor's.
    assert "max_bytes 5000" in row(body, "plain")
    assert "no scripts" not in row(body, "plain")


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_findings_after_a_run(
    client: Client, reviewer: Any, team: Any, worker: Any, allow_functions: Any
) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "draft",
                    executor="python",
                    params={"function": "record", "returns": {"text": "password <b>x</b>"}},
                    guardrails={
                        "output": [
                            {"check": "no_secrets", "mode": "warn"},
                            {"deny": "<b>", "name": "no markup"},
                        ]
                    },
                )
            ],
        )
    )
    run_until_idle(worker)
    client.force_login(reviewer)

    html = row(client.get(f"/plans/{plan.pk}/").content.decode(), "draft")

    warning = html[html.index('class="finding finding-warn"') :]
    assert "warning" in warning
    assert "<strong>check no_secrets</strong> — mentions a password" in warning
    blocked = html[html.index('class="finding finding-block"') :]
    assert "<strong>no markup</strong> — matched &#x27;&lt;b&gt;&#x27;" in blocked
    assert "<b>x</b>" not in html


@pytest.mark.django_db(transaction=True)
def test_the_api_lists_the_findings(api: Any, team: Any, worker: Any, allow_functions: Any) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "draft",
                    executor="python",
                    params={"function": "record", "returns": {"score": 0.5}},
                    guardrails={"output": [{"max_bytes": 5, "mode": "warn"}]},
                    quality={"path": "score", "min": 0.9},
                )
            ],
        )
    )
    run_until_idle(worker)

    [draft] = api.get(f"/plans/{plan.pk}").json()["steps"]

    assert draft["guardrail_findings"] == [
        {
            "attempt": 1,
            "stage": "output",
            "check": "max_bytes 5",
            "verdict": "warn",
            "message": "13 bytes, over the limit of 5",
            "source": "step",
        },
        {
            "attempt": 1,
            "stage": "output",
            "check": "quality",
            "verdict": "block",
            "message": "quality 0.5 at score is below the minimum 0.9",
            "source": "step",
        },
    ]
    assert draft["result"] is None
