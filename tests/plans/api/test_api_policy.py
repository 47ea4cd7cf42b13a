"""GET and PUT /api/v1/policy: versions, every problem with its path, stale versions, and what
the policy decided in the plan's and the revision's answers."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.models import PolicyVersion, Scope, TeamEvent
from tests.conftest import ApiClient

GATE_HTTP = {"name": "gate-http", "when": {"executor_in": ["http"]}, "action": "require_gate"}


def test_it_reads_and_changes_the_policy_by_version(team: Any, api: Any) -> None:
    assert api.get("/policy").json()["version"] == 0

    changed = api.put(
        "/policy",
        {
            "base_version": 0,
            "rules": [GATE_HTTP],
            "permissions": [{"executor": "python", "role": "*", "mode": "ask"}],
            "comment": "gate outside calls",
        },
    )

    assert changed.status_code == 200, changed.content
    body = api.get("/policy").json()
    assert body["version"] == 1
    assert body["rules"] == [GATE_HTTP]
    assert body["permissions"] == [{"executor": "python", "role": "*", "mode": "ask"}]
    assert body["comment"] == "gate outside calls"
    assert body["actor"].startswith("token:")


def test_it_lists_every_problem_with_its_path(team: Any, api: Any) -> None:
    refused = api.put(
        "/policy",
        {
            "base_version": 0,
            "rules": [
                GATE_HTTP,
                {**GATE_HTTP, "action": "explode"},
                {
                    "name": "bad-regex",
                    "when": {"params": {"$.url": {"matches": "(unclosed"}}},
                    "action": "forbid",
                },
                {"name": "gate-http", "when": {"colour": "red"}, "action": "forbid"},
            ],
            "permissions": [{"executor": "echo", "role": "*", "mode": "maybe"}],
        },
    )

    assert refused.status_code == 422
    locs = [p["loc"] for p in refused.json()["detail"]]
    assert locs == [
        ["body", "rules", 1, "name"],
        ["body", "rules", 1, "action"],
        ["body", "rules", 2, "when", "params", "$.url", "matches"],
        ["body", "rules", 3, "name"],
        ["body", "rules", 3, "when", "colour"],
        ["body", "permissions", 0, "mode"],
    ]
    assert not PolicyVersion.objects.exists()


def test_it_refuses_a_stale_base_version_naming_the_current_one(team: Any, api: Any) -> None:
    api.put("/policy", {"base_version": 0, "rules": [GATE_HTTP]})
    api.put("/policy", {"base_version": 1, "rules": []})

    stale = api.put("/policy", {"base_version": 1, "rules": [GATE_HTTP]})

    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert "the policy is at version 2, not 1" in stale.json()["detail"]


def test_changing_it_needs_policy_write(team: Any) -> None:
    _, raw = services.token_create(team=team, name="agent", scopes=[Scope.SUBMIT, Scope.READ])

    refused = ApiClient(raw).put("/policy", {"base_version": 0, "rules": []})

    assert refused.status_code == 403
    assert refused.json()["detail"] == "this token lacks the scope policy:write"


def test_every_change_is_a_team_event(team: Any, api: Any) -> None:
    api.put("/policy", {"base_version": 0, "rules": [GATE_HTTP]})
    api.put(
        "/policy",
        {
            "base_version": 1,
            "rules": [
                {**GATE_HTTP, "shadow": True},
                {"name": "stop", "when": {"tags_any": ["x"]}, "action": "forbid"},
            ],
        },
    )

    events = list(TeamEvent.objects.filter(team=team, kind="policy.changed"))
    assert [e.data["version"] for e in events] == [1, 2]
    assert events[0].data["added"] == ["gate-http"]
    assert events[1].data["added"] == ["stop"]
    assert events[1].data["changed"] == ["gate-http"]
    assert events[1].data["removed"] == []


def test_the_plan_and_its_revision_say_what_the_policy_decided(team: Any, api: Any) -> None:
    api.put(
        "/policy",
        {
            "base_version": 0,
            "rules": [
                {
                    "name": "gate-b",
                    "when": {"params": {"$.risky": {"equals": True}}},
                    "action": "require_gate",
                    "reason": "risky steps wait for a person",
                }
            ],
        },
    )
    created = api.post(
        "/plans",
        {
            "user_id": "u",
            "topic_id": "t",
            "goal": "g",
            "steps": [
                {"key": "a", "task": "x", "executor": "echo"},
                {"key": "b", "task": "y", "executor": "echo", "params": {"risky": True}},
            ],
        },
    ).json()

    policy = created["policy"]
    assert policy["version"] == 1
    [match] = policy["matched"]
    assert match["rule"] == "gate-b"
    assert match["steps"] == ["b"]
    assert match["why"] == ["b: params $.risky True equals True"]
    assert match["effect"] == "made the steps gates"
    assert match["reason"] == "risky steps wait for a person"
    assert [s["approval"] for s in created["steps"]] == ["none", "required"]

    revision = api.get(f"/plans/{created['id']}/revisions/1").json()
    assert revision["policy"] == policy
