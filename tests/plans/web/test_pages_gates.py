"""The gate box on the plan page: the step's real inputs and params, and the decision forms,
which work without JavaScript."""

from __future__ import annotations

import pytest

from executors.protocol import StepOutcome
from tests.factories import claim, finish, step
from tests.orchestration.support import steps_of
from tests.plans.gates.support import started

pytestmark = pytest.mark.django_db


def row(body: str, dom_id: str) -> str:
    start = body.index(f'<tr id="{dom_id}"')
    return body[start : body.index("</tr>", start)]


def _waiting(team):
    plan = started(
        team,
        [
            step("fetch"),
            step("deploy", "fetch", approval="required", params={"target": "staging"}),
            step("report", "deploy"),
        ],
    )
    assert finish(claim(plan, "fetch"), StepOutcome.success({"rows": ["r1", "r2"]}))
    return plan


def test_it_shows_the_real_inputs_and_params_of_a_waiting_step(client, reviewer, team):
    plan = _waiting(team)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    box = row(body, "step-deploy")
    assert "Waiting for your decision" in box
    assert "from <code>fetch</code>" in box
    assert "&quot;r1&quot;" in box
    assert "&quot;target&quot;: &quot;staging&quot;" in box
    assert "Waiting for your decision:" in body.split('id="plan-header"')[1].split("</section>")[0]
    assert "Waiting for your decision" not in row(body, "step-fetch")


def test_it_approves_from_the_page(client, reviewer, team):
    plan = _waiting(team)
    client.force_login(reviewer)

    answer = client.post(f"/plans/{plan.pk}/gate", {"key": "deploy", "version": 1}, follow=True)

    body = answer.content.decode()
    assert "Approved step deploy as it is" in body
    assert "Approved at its gate by <strong>alice (reviewer)</strong>" in row(body, "step-deploy")
    deploy = steps_of(plan)["deploy"]
    assert (deploy.status, deploy.gate_approved_by) == ("pending", "user:alice")


def test_it_approves_edited_params_from_the_page(client, reviewer, team):
    plan = _waiting(team)
    client.force_login(reviewer)

    client.post(
        f"/plans/{plan.pk}/gate",
        {"key": "deploy", "version": 1, "params": '{"target": "production"}'},
    )

    assert steps_of(plan)["deploy"].params == {"target": "production"}


def test_it_shows_bad_json_in_the_gate_box(client, reviewer, team):
    plan = _waiting(team)
    client.force_login(reviewer)

    answer = client.post(
        f"/plans/{plan.pk}/gate", {"key": "deploy", "version": 1, "params": '{"target": '}
    )

    assert answer.status_code == 422
    box = row(answer.content.decode(), "step-deploy")
    assert "Params are not valid JSON" in box
    assert "{&quot;target&quot;: </textarea>" in box
    assert steps_of(plan)["deploy"].status == "awaiting_approval"


def test_it_says_who_decided_first(client, reviewer, team):
    plan = _waiting(team)
    client.force_login(reviewer)
    client.post(f"/plans/{plan.pk}/skip", {"key": "deploy", "reason": "not today"})

    answer = client.post(f"/plans/{plan.pk}/gate", {"key": "deploy", "version": 1})

    assert answer.status_code == 409
    header = answer.content.decode().split('id="plan-header"')[1].split("</section>")[0]
    assert "Cannot approve step &#x27;deploy&#x27;: it is skipped (not today)." in header
