"""The answer to POST /api/v1/plans is the plan as GET /api/v1/plans/{id} then reads it, field for
field, and what was written is complete: every step, every dependency, the revision's content as
read back from the database. On SQLite and on PostgreSQL alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from plans.models import ApproverGroup, Plan, PlanRevision, PlanStep
from plans.revisions.content import canonical, plan_content, plan_content_hash
from tests.conftest import ApiClient
from tests.plans.catalog.support import ACTIONS

# A gate's deadline given in another time zone than the server's, to the microsecond.
IN_TEN_DAYS = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=123456)
BERLIN = timezone(timedelta(hours=2))
STAGES = [{"name": "one", "executor": "echo"}, {"name": "two", "executor": "echo"}]


def every_kind_of_step() -> list[dict[str, Any]]:
    """Steps with every field a submission may set, listed out of dependency order."""
    return [
        {
            "key": "report",
            "task": "Write the report",
            "title": "Report",
            "hint": "Short",
            "depends_on": ["fetch", "check", "fetch"],
            "params": {"z": 1, "a": [1.5, "x", None], "nested": {"b": True}},
            "max_attempts": 3,
            "timeout_seconds": 2.5,
            "on_failure": "ask",
            "estimated_cost": 1.25,
        },
        {"key": "fetch", "task": "Fetch", "params": {"message": "hi"}},
        {
            "key": "check",
            "task": "A gate with a quorum and a deadline",
            "depends_on": ["fetch"],
            "approval": {"group": "finance", "count": 2},
            "decision_deadline": IN_TEN_DAYS.astimezone(BERLIN).isoformat(),
            "on_timeout": "skip",
        },
        {"key": "gate", "task": "A gate", "approval": "required", "decision_deadline": 3600},
        {
            "key": "each",
            "task": "Fan out",
            "depends_on": ["fetch"],
            "for_each": {"over": "fetch", "max_concurrency": 2, "stages": STAGES},
        },
        {
            "key": "guarded",
            "task": "Checked",
            "guardrails": {"input": [{"max_bytes": 100}], "output": [{"deny": "secret"}]},
            "quality": {"path": "score", "min": 0.5},
            "recover": {"timeout": {"recipe": "retry"}},
        },
        {
            "key": "find",
            "task": "Find",
            "action": "search",
            "inputs": {"city": {"$input": "city"}},
        },
        {
            "key": "sum",
            "task": "Summarise",
            "action": "summarise",
            "inputs": {"text": {"$from": "find.result.task"}},
        },
    ]


def submission(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "goal": "Ship it",
        "title": "Release",
        "user_id": "u",
        "topic_id": "t",
        "tags": ["a", "b"],
        "artifacts": [{"title": "Notes", "summary": "*why*", "assumptions": ["x"]}],
        "steps": steps,
        "budget": 100,
        "decision_deadline": 86400,
        "required_approvals": 2,
        "approver_group": "finance",
    }


def test_it_answers_a_submission_as_reading_the_plan_back_does(
    api: ApiClient, team: Any, settings: Any
) -> None:
    settings.PLANGATE_ACTIONS = ACTIONS
    ApproverGroup.objects.create(team=team, name="finance")

    posted = api.post("/plans", submission(every_kind_of_step()))

    assert posted.status_code == 201, posted.content[:500]
    answer = posted.json()
    read = api.get(f"/plans/{answer['id']}").json()
    assert answer == read
    # The same fields in the same order, the steps' too.
    assert list(answer) == list(read)
    assert [list(s) for s in answer["steps"]] == [list(s) for s in read["steps"]]
    steps = {s["key"]: s for s in answer["steps"]}
    assert steps["report"]["depends_on"] == ["fetch", "check"]
    assert steps["check"]["approvals"]["required"] == 2
    assert steps["check"]["decision_deadline"]["at"] == (
        IN_TEN_DAYS.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    )
    assert [m["name"] for m in answer["missing_inputs"]] == ["city"]


def test_a_replayed_submission_answers_as_reading_the_plan_back_does(
    api: ApiClient, team: Any
) -> None:
    ApproverGroup.objects.create(team=team, name="finance")
    body = submission([s for s in every_kind_of_step() if "action" not in s])
    key = {"Idempotency-Key": "once"}

    first = api.post("/plans", body, headers=key)
    again = api.post("/plans", body, headers=key)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert first.json() == api.get(f"/plans/{first.json()['id']}").json()


def test_the_revision_holds_the_content_read_back_from_the_database(
    api: ApiClient, team: Any, settings: Any
) -> None:
    settings.PLANGATE_ACTIONS = ACTIONS
    ApproverGroup.objects.create(team=team, name="finance")

    answer = api.post("/plans", submission(every_kind_of_step())).json()

    plan = Plan.objects.get(pk=answer["id"])
    revision = PlanRevision.objects.get(plan=plan, version=1)
    assert revision.content == json.loads(canonical(plan_content(plan)))
    assert revision.content_hash == plan_content_hash(plan)


def test_a_big_plan_is_written_whole_with_every_dependency(api: ApiClient) -> None:
    # Each step after the first two waits for the two before it (one listed twice).
    count = 3000
    steps = [
        {
            "key": f"s{i}",
            "task": f"t{i}",
            "params": {"i": i} if i % 2 else {},
            **({"depends_on": [f"s{i - 1}", f"s{i - 2}", f"s{i - 1}"]} if i > 1 else {}),
        }
        for i in reversed(range(count))
    ]

    answer = api.post("/plans", {"goal": "g", "user_id": "u", "topic_id": "t", "steps": steps})

    assert answer.status_code == 201, answer.content[:500]
    body = answer.json()
    # In dependency order: the two with none first, in the order listed.
    assert [s["key"] for s in body["steps"]] == ["s1", "s0", *(f"s{i}" for i in range(2, count))]
    assert body == api.get(f"/plans/{body['id']}").json()
    written = PlanStep.objects.filter(plan_id=body["id"])
    assert written.count() == count
    through = PlanStep.depends_on.through.objects
    assert through.filter(from_planstep__plan_id=body["id"]).count() == 2 * (count - 2)
    last = written.get(key=f"s{count - 1}")
    assert (last.waiting_on, last.params) == (2, {"i": count - 1})
    assert sorted(last.depends_on.values_list("key", flat=True)) == [
        f"s{count - 3}",
        f"s{count - 2}",
    ]


def test_numbers_the_database_keeps_otherwise_are_answered_as_stored_and_approvable(
    api: ApiClient,
) -> None:
    # PostgreSQL's jsonb gives 1e+20 back as 100000000000000000000, and -0.0 as 0.0.
    params = {"big": 1e20, "zero": -0.0, "small": 1e-7, "text": "1e5 -0.0"}
    steps = [{"key": "a", "task": "t", "params": params}, {"key": "b", "task": "t"}]

    answer = api.post("/plans", {"goal": "g", "user_id": "u", "topic_id": "t", "steps": steps})

    body = answer.json()
    assert body == api.get(f"/plans/{body['id']}").json()
    approved = api.post(f"/plans/{body['id']}/approve", {"version": body["version"]})
    assert approved.status_code == 200, approved.content[:500]
    assert approved.json()["status"] == "approved"


def test_an_approval_answers_as_reading_the_plan_back_does(api: ApiClient, team: Any) -> None:
    ApproverGroup.objects.create(team=team, name="finance")
    body = submission([s for s in every_kind_of_step() if "action" not in s])
    del body["required_approvals"], body["approver_group"]
    plan = api.post("/plans", body).json()
    skipped = api.post(f"/plans/{plan['id']}/steps/guarded/skip", {"reason": "not now"})
    assert skipped.status_code == 200, skipped.content[:500]

    approved = api.post(f"/plans/{plan['id']}/approve", {"version": skipped.json()["version"]})

    assert approved.status_code == 200, approved.content[:500]
    answer = approved.json()
    assert answer["status"] == "approved"
    read = api.get(f"/plans/{plan['id']}").json()
    assert answer == read
    assert [list(s) for s in answer["steps"]] == [list(s) for s in read["steps"]]
    steps = {s["key"]: s for s in answer["steps"]}
    assert (steps["guarded"]["status"], steps["guarded"]["skip_reason"]) == ("skipped", "not now")
    assert steps["report"]["depends_on"] == ["fetch", "check"]
