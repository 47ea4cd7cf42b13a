"""What the audit counts as a decision: what people, tokens, policies and deadlines did, not
what workers and the system did on their own."""

from __future__ import annotations

from typing import Any

from plans.audit.selectors import decision_rows, decisions_for_team
from plans.models import DecisionSource, PlanEvent
from tests.factories import submit_plan


def kinds_and_actors(team: Any) -> list[tuple[str, str]]:
    return [(r.kind, r.actor) for r in decision_rows(decisions_for_team(team))]


def test_it_keeps_a_reviewers_failure_and_skip_and_leaves_out_the_workers(team: Any) -> None:
    plan = submit_plan(team, title="Import")
    for kind, actor, source in [
        ("plan.failed", "worker:host:1", ""),
        ("step.skipped", "system", ""),
        ("plan.failed", "user:bob", DecisionSource.BROWSER),
        ("step.skipped", "token:ab12", ""),
        ("plan.revised", "token:ab12", DecisionSource.TOKEN),
        ("step.retried", "user:bob", DecisionSource.EMAIL),
        ("deadline.extended", "user:bob", DecisionSource.BROWSER),
        ("decision.escalated", "system", DecisionSource.TIMEOUT),
        ("approval.recorded", "user:bob", DecisionSource.SLACK),
        ("step.completed", "worker:host:1", ""),
        ("deadline.soon", "system", ""),
    ]:
        PlanEvent.objects.create(plan=plan, kind=kind, actor=actor, source=source)

    assert kinds_and_actors(team) == [
        ("plan.failed", "user:bob"),
        ("step.skipped", "token:ab12"),
        ("plan.revised", "token:ab12"),
        ("step.retried", "user:bob"),
        ("deadline.extended", "user:bob"),
        ("decision.escalated", "system"),
        ("approval.recorded", "user:bob"),
    ]


def test_it_takes_an_approvals_source_from_the_event_when_the_actor_had_none(team: Any) -> None:
    plan = submit_plan(team)
    PlanEvent.objects.create(
        plan=plan, kind="plan.approved", actor="system", data={"version": 1, "via": "policy"}
    )

    (row,) = decision_rows(decisions_for_team(team))

    assert (row.kind, row.source, row.version) == ("plan.approved", "policy", 1)
