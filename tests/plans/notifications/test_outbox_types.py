"""Which events make which notifications, and for which subscriptions."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from executors.protocol import StepOutcome
from plans import services
from plans.models import ApproverGroup, OutboxMessage
from plans.notifications.services import notifications_enqueue
from plans.revisions.services import RevisionDraft, plan_revise, step_drafts
from tests.factories import WORKER, UserFactory, approve, claim, finish, step, submit_plan
from tests.plans.notifications.support import webhook


def types_of(sub: Any) -> list[str]:
    return list(sub.messages.order_by("id").values_list("type", flat=True))


def test_it_announces_a_gate_waiting(team: Any) -> None:
    sub = webhook(team, "https://hooks.example.com/a", types=["gate.waiting"])
    plan = approve(submit_plan(team, [step("a"), step("b", "a", approval="required")]))
    services.plan_start(plan=plan, actor=WORKER)

    finish(claim(plan, "a"), StepOutcome.success({"n": 1}))

    message = sub.messages.get()
    assert message.type == "gate.waiting"
    assert message.payload["step_key"] == "b"
    assert message.payload["plan"]["id"] == str(plan.pk)
    assert message.payload["data"] == {"inputs": ["a"]}
    assert message.payload["plan"]["status"] == "executing"


def test_it_announces_a_revision_as_revised_and_waiting_again(team: Any, reviewer: Any) -> None:
    everything = webhook(team, "https://hooks.example.com/all")
    revised_only = webhook(team, "https://hooks.example.com/r", types=["plan.revised"])
    plan = submit_plan(team)
    revision = plan.revisions.get(version=1)

    plan_revise(
        plan=plan,
        actor=services.Actor.for_user(reviewer),
        draft=RevisionDraft(base_version=1, steps=step_drafts(revision.content)[:1]),
    )

    assert types_of(everything) == ["plan.waiting", "plan.revised", "plan.waiting"]
    assert types_of(revised_only) == ["plan.revised"]
    assert everything.messages.order_by("id").last().payload["plan"]["version"] == 2


def test_it_announces_the_end_of_a_plan(team: Any) -> None:
    sub = webhook(team, "https://hooks.example.com/a", types=["plan.completed", "plan.failed"])
    plan = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=plan, actor=WORKER)

    finish(claim(plan, "a"), StepOutcome.success({}))

    assert types_of(sub) == ["plan.completed"]


def test_it_writes_nothing_for_a_disabled_subscription(team: Any) -> None:
    webhook(team, "https://hooks.example.com/a", enabled=False)
    webhook(team, "https://hooks.example.com/b", disabled_at=timezone.now())
    submit_plan(team)

    assert not OutboxMessage.objects.exists()


def test_it_narrows_to_the_approver_group_and_member(team: Any, reviewer: Any) -> None:
    finance = ApproverGroup.objects.create(team=team, name="finance")
    bob = UserFactory(username="bob")
    team.members.add(bob)
    finance.members.add(bob)
    for_finance = webhook(team, "https://hooks.example.com/f", approver_group=finance)
    for_bob = webhook(team, "https://hooks.example.com/b", user=bob)
    for_alice = webhook(team, "https://hooks.example.com/a", user=reviewer)
    submit_plan(team, title="plain")
    guarded = submit_plan(team, title="guarded")
    guarded.approver_group = finance
    guarded.save(update_fields=["approver_group"])
    revision = guarded.revisions.get(version=1)

    plan_revise(
        plan=guarded,
        actor=services.SYSTEM,
        draft=RevisionDraft(base_version=1, steps=step_drafts(revision.content)[:1]),
    )

    def heard(sub: Any) -> list[tuple[str, str]]:
        return [(m.payload["plan"]["title"], m.type) for m in sub.messages.order_by("id")]

    assert heard(for_finance) == [("guarded", "plan.revised"), ("guarded", "plan.waiting")]
    assert heard(for_bob) == [
        ("plain", "plan.waiting"),
        ("guarded", "plan.waiting"),
        ("guarded", "plan.revised"),
        ("guarded", "plan.waiting"),
    ]
    # Alice is not in the group that decides on the guarded plan now.
    assert heard(for_alice) == [("plain", "plan.waiting"), ("guarded", "plan.waiting")]


def test_announcing_events_of_a_team_without_subscriptions_costs_one_query(
    team: Any, other_team: Any, django_assert_num_queries: Any
) -> None:
    # Another team's subscription hears nothing of this team's plans.
    elsewhere = webhook(other_team, "https://hooks.example.com/other")
    plan = submit_plan(team)
    event = plan.events.create(kind="plan.completed", actor="worker:w", data={})

    with django_assert_num_queries(1):
        assert notifications_enqueue([event]) == 0

    assert not elsewhere.messages.exists()
