"""Every API operation needs one scope of its token: without it, 403 naming the scope; with
only that scope, it is let through. The table must name every operation of the OpenAPI
document, so an operation added without deciding its scope fails here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plans import services
from plans.models import Scope
from tests.conftest import ApiClient
from tests.factories import submit_plan

READ, SUBMIT, DECIDE = Scope.READ.value, Scope.SUBMIT.value, Scope.DECIDE.value

SCOPE_OF: dict[tuple[str, str], str] = {
    ("get", "/api/v1/plans"): READ,
    ("post", "/api/v1/plans"): SUBMIT,
    ("get", "/api/v1/plans/{plan_id}"): READ,
    ("post", "/api/v1/plans/{plan_id}/approve"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/cancel"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/steps/{key}/skip"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/artifacts"): SUBMIT,
    ("get", "/api/v1/plans/{plan_id}/events"): READ,
    ("get", "/api/v1/plans/{plan_id}/checkpoint"): READ,
    ("post", "/api/v1/plans/{plan_id}/steps/{key}/approve"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/revisions"): SUBMIT,
    ("get", "/api/v1/plans/{plan_id}/revisions"): READ,
    ("get", "/api/v1/plans/{plan_id}/revisions/{version}"): READ,
    ("get", "/api/v1/plans/{plan_id}/diff"): READ,
    ("post", "/api/v1/plans/{plan_id}/request-changes"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/comments"): SUBMIT,
    ("get", "/api/v1/plans/{plan_id}/comments"): READ,
    ("post", "/api/v1/plans/{plan_id}/steps/{key}/retry"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/fail"): DECIDE,
    ("get", "/api/v1/executors"): READ,
    ("get", "/api/v1/inbox"): READ,
    ("post", "/api/v1/inbox/approve"): DECIDE,
    ("post", "/api/v1/plans/{plan_id}/deadline"): DECIDE,
    ("get", "/api/v1/audit"): READ,
    ("get", "/api/v1/policy"): READ,
    ("put", "/api/v1/policy"): Scope.POLICY_WRITE.value,
    ("post", "/api/v1/plans/{plan_id}/budget"): DECIDE,
    ("get", "/api/v1/actions"): READ,
    ("post", "/api/v1/plans/{plan_id}/inputs"): SUBMIT,
    ("post", "/api/v1/plans/propose"): SUBMIT,
    ("post", "/api/v1/plans/{plan_id}/inputs/parse"): SUBMIT,
    ("get", "/api/v1/usage"): READ,
    ("get", "/api/v1/plans/{plan_id}/events/stream"): READ,
    ("get", "/api/v1/plans/{plan_id}/wait"): READ,
}
# Operations that take no token: Slack's button clicks, proven by Slack's request signature.
SIGNED_ELSEWHERE = {("post", "/api/v1/slack/interactions")}


def operations() -> list[tuple[str, str]]:
    doc = Client().get("/api/v1/openapi.json").json()
    return sorted(
        (method, path)
        for path, ops in doc["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    )


def call(client: ApiClient, method: str, path: str, plan_id: Any) -> Any:
    url = (
        path.removeprefix("/api/v1")
        .replace("{plan_id}", str(plan_id))
        .replace("{key}", "a")
        .replace("{version}", "1")
    )
    if url.endswith("/wait"):
        return client.get(url, timeout=0)  # answered at once, not after the default 30 s
    if method == "get":
        return client.get(url)
    if method == "put":
        return client.put(url, {"base_version": 0, "rules": []})
    return client.post(url, {})


def token(team: Any, scopes: list[str]) -> ApiClient:
    _, raw = services.token_create(team=team, name="scoped", scopes=scopes)
    return ApiClient(raw)


def test_it_knows_the_scope_of_every_operation(db: Any) -> None:
    assert [op for op in operations() if op not in SIGNED_ELSEWHERE] == sorted(SCOPE_OF)


@pytest.mark.parametrize(("method", "path"), sorted(SCOPE_OF))
def test_it_refuses_a_token_without_the_operations_scope(team: Any, method: str, path: str) -> None:
    plan = submit_plan(team)
    needed = SCOPE_OF[(method, path)]
    others = [s for s in Scope.values if s != needed]

    refused = call(token(team, others), method, path, plan.pk)
    assert refused.status_code == 403
    assert refused.json() == {"detail": f"this token lacks the scope {needed}"}

    allowed = call(token(team, [needed]), method, path, plan.pk)
    assert allowed.status_code not in (401, 403), allowed.content


def test_it_declares_the_403_of_every_operation(db: Any) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "403" in op["responses"], (method, path)


def test_it_gives_new_tokens_submit_and_read_but_not_decide(team: Any) -> None:
    _, raw = services.token_create(team=team, name="agent")
    client = ApiClient(raw)
    plan = submit_plan(team)

    assert client.get(f"/plans/{plan.pk}").status_code == 200
    refused = client.post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this token lacks the scope plans:decide"
