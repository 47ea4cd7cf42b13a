"""Plan inputs and revisions: a revision is checked by the flow validator as a submission is
and keeps the plan's inputs; a policy that approves plans does not approve one missing inputs
until they are supplied."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.models import Plan, Scope
from plans.policy.services import policy_change
from tests.conftest import ApiClient
from tests.plans.catalog.support import body
from tests.plans.policy.support import rule

FIND = {"key": "find", "task": "Find", "action": "search", "inputs": {"city": {"$input": "city"}}}


def test_a_revision_is_checked_and_keeps_the_inputs(api: ApiClient) -> None:
    plan_id = api.post("/plans", body(FIND, inputs={"city": "Oslo"})).json()["id"]
    bad = {**FIND, "inputs": {"city": {"$input": "city"}, "limit": "many"}}

    refused = api.post(f"/plans/{plan_id}/revisions", {"base_version": 1, "steps": [bad]})
    assert refused.status_code == 422
    assert {
        "loc": ["body", "steps", 0, "inputs", "limit"],
        "msg": "'many' is not of type 'integer'",
        "type": "value_error",
    } in refused.json()["detail"]

    good = {**FIND, "inputs": {"city": {"$input": "city"}, "limit": 3}}
    revised = api.post(f"/plans/{plan_id}/revisions", {"base_version": 1, "steps": [good]})
    assert revised.status_code == 201, revised.json()
    assert revised.json()["content"]["inputs"] == {"city": "Oslo"}
    find = Plan.objects.get(pk=plan_id).steps.get(key="find")
    assert find.params == {"engine": "maps", "limit": 3, "city": "Oslo"}


def test_a_policy_approves_only_once_the_inputs_are_supplied(api: ApiClient, team: Any) -> None:
    token, _ = services.token_create(team=team, name="p", scopes=[Scope.POLICY_WRITE.value])
    policy_change(
        team=team,
        actor=services.Actor.for_token(token),
        base_version=0,
        document={"rules": [rule("trusted", "auto_approve")]},
    )

    plan = api.post("/plans", body(FIND)).json()
    assert plan["status"] == "draft"

    supplied = api.post(f"/plans/{plan['id']}/inputs", {"version": 1, "values": {"city": "Oslo"}})
    assert supplied.status_code == 200, supplied.json()
    assert supplied.json()["status"] == "approved"
