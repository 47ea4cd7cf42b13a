"""Each action of a rule, at submission, and how rules that disagree are settled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from plans.models import ApproverGroup, DecisionSource, EventKind
from plans.states import PlanStatus
from tests.factories import step, submit_plan
from tests.plans.policy.support import matched, put_policy, rule


def test_require_gate_makes_the_matching_steps_gates(team: Any) -> None:
    put_policy(team, [rule("gate-python", "require_gate", {"executor_in": ["python"]})])

    plan = submit_plan(
        team,
        [
            step("a"),
            step("b", "a", executor="python", params={"function": "word_count", "text": "a b"}),
        ],
    )

    steps = {s.key: s for s in plan.steps.all()}
    assert steps["a"].approval == "none"
    assert steps["b"].approval == "required"
    assert matched(plan)["gate-python"]["steps"] == ["b"]
    assert matched(plan)["gate-python"]["applied"] is True


def test_require_gate_on_the_plan_alone_gates_every_step(team: Any) -> None:
    put_policy(team, [rule("gate-payments", "require_gate", {"tags_any": ["payments"]})])

    plan = submit_plan(team, [step("a"), step("b", "a")], tags=["payments"])
    other = submit_plan(team, [step("a"), step("b", "a")], tags=["docs"])

    assert [s.approval for s in plan.steps.order_by("position")] == ["required", "required"]
    assert matched(plan)["gate-payments"]["steps"] == ["a", "b"]
    assert [s.approval for s in other.steps.all()] == ["none", "none"]


def test_require_approvals_sets_the_plans_quorum_and_group(team: Any, reviewer: Any) -> None:
    group = ApproverGroup.objects.create(team=team, name="finance")
    group.members.add(reviewer)
    team.max_required_approvals = 5
    team.save()
    put_policy(
        team,
        [
            rule(
                "two-for-payments",
                "require_approvals",
                {"tags_any": ["payments"]},
                count=2,
                group="finance",
            )
        ],
    )

    plan = submit_plan(team, tags=["payments"])
    other = submit_plan(team, tags=["docs"])

    assert plan.required_approvals == 2
    assert plan.approver_group == group
    assert other.required_approvals == 1
    assert other.approver_group is None


def test_set_deadline_gives_the_plan_its_deadline(team: Any) -> None:
    put_policy(team, [rule("quick", "set_deadline", {}, seconds=600, on_timeout="cancel")])

    plan = submit_plan(team)

    assert plan.deadline_at is not None
    assert timedelta(seconds=590) < plan.deadline_at - plan.created_at < timedelta(seconds=610)
    assert plan.on_timeout == "cancel"


def test_auto_approve_approves_the_plan_with_no_person(team: Any) -> None:
    put_policy(team, [rule("echo-only", "auto_approve", {"executors_within": ["echo"]})])

    plan = submit_plan(team)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.approved_via == DecisionSource.POLICY
    assert plan.approved_by is None
    approved = plan.events.get(kind=EventKind.PLAN_APPROVED)
    assert approved.data["rule"] == "echo-only"
    assert approved.actor == "policy:echo-only"
    assert approved.source == DecisionSource.POLICY


def test_the_earlier_rule_wins_for_deadlines_and_approvals(team: Any) -> None:
    team.max_required_approvals = 5
    team.save()
    put_policy(
        team,
        [
            rule("first-deadline", "set_deadline", {}, seconds=600, on_timeout="cancel"),
            rule("second-deadline", "set_deadline", {}, seconds=60, on_timeout="cancel"),
            rule("three", "require_approvals", {}, count=3),
            rule("two", "require_approvals", {}, count=2),
        ],
    )

    plan = submit_plan(team)

    assert plan.deadline_at - plan.created_at > timedelta(seconds=500)
    assert plan.required_approvals == 3
    rules = matched(plan)
    assert rules["second-deadline"]["applied"] is False
    assert rules["second-deadline"]["overridden"] == "the earlier rule 'first-deadline' decides"
    assert rules["two"]["overridden"] == "the earlier rule 'three' decides"


def test_auto_approve_gives_way_to_a_rule_that_asks_for_a_person(team: Any) -> None:
    put_policy(
        team,
        [
            rule("cheap", "auto_approve", {}),
            rule("gate-b", "require_gate", {"params": {"$.risky": {"equals": True}}}),
        ],
    )

    plan = submit_plan(team, [step("a"), step("b", params={"risky": True})])
    safe = submit_plan(team, [step("a")])

    plan.refresh_from_db()
    safe.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert matched(plan)["cheap"]["applied"] is False
    assert matched(plan)["cheap"]["overridden"] == "'gate-b' requires a person's decision"
    assert safe.status == PlanStatus.APPROVED


def test_a_plan_no_rule_holds_for_records_that_nothing_matched(team: Any) -> None:
    version = put_policy(team, [rule("stop", "forbid", {"tags_any": ["prod"]})])

    plan = submit_plan(team)

    assert plan.revisions.get().policy == {"version": version.version, "matched": []}
