"""A gate with a quorum on the plan page: its progress in the gate box, and the approver's own
button saying they approved."""

from __future__ import annotations

import pytest

from tests.factories import step, submit_plan
from tests.orchestration.support import steps_of
from tests.plans.approvals.support import group, person
from tests.plans.gates.support import started

pytestmark = pytest.mark.django_db


def row(body: str, dom_id: str) -> str:
    start = body.index(f'<tr id="{dom_id}"')
    return body[start : body.index("</tr>", start)]


def test_it_shows_the_gates_count_and_keeps_it_waiting_after_one_approval(client, reviewer, team):
    group(team, "ops", reviewer, person(team, "bob"))
    plan = started(team, [step("deploy", approval={"group": "ops", "count": 2})])
    client.force_login(reviewer)
    before = row(client.get(f"/plans/{plan.pk}/").content.decode(), "step-deploy")
    assert "0 of 2 approvals; needs 2 more from ops" in before

    answer = client.post(f"/plans/{plan.pk}/gate", {"key": "deploy", "version": 1}, follow=True)

    body = answer.content.decode()
    assert "Your approval of step deploy is recorded" in body
    box = row(body, "step-deploy")
    assert "1 of 2 approvals, by alice (reviewer); needs 1 more from ops" in box
    assert "You approved this step" in box
    assert steps_of(plan)["deploy"].status == "awaiting_approval"


def test_it_shows_a_drafts_gate_quorum_before_the_plan_runs(client, reviewer, team):
    group(team, "ops", reviewer)
    plan = submit_plan(team, [step("deploy", approval={"group": "ops", "count": 2})])
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "A gate: waits for 2 approvals from ops before it runs." in row(body, "step-deploy")
