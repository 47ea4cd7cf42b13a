"""factory_boy factories for the domain, and a helper that submits plans through the service."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from executors.protocol import StepOutcome
from orchestration.engine import queue
from plans import services
from plans.models import Plan, Team
from plans.validation import StepDraft


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"reviewer{n}")
    password = factory.django.Password("pw-for-tests")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"team{n}")
    # Off here, on in production: most tests submit and decide with one token. Tests of
    # separation of duties make their teams with separate_duties=True.
    separate_duties = False

    @factory.post_generation
    def members(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.members.add(*extracted)


def step(key: str, *depends_on: str, executor: str = "echo", **fields: Any) -> StepDraft:
    """A step draft for `submit_plan`: `step("c", "a", "b")` depends on a and b."""
    return StepDraft(
        key=key,
        task=fields.pop("task", f"do {key}"),
        executor=executor,
        depends_on=list(depends_on),
        **fields,
    )


def list_step(key: str, items: Any, *depends_on: str, **fields: Any) -> StepDraft:
    """A step whose result is `items`: the python executor's list_items, something to fan out
    over."""
    return step(
        key,
        *depends_on,
        executor="python",
        params={"function": "list_items", "items": items},
        **fields,
    )


def submit_plan(
    team: Team | None = None,
    steps: list[StepDraft] | None = None,
    *,
    delegation: Any = None,
    goal: str = "Ship the thing",
    **fields: Any,
) -> Plan:
    """A draft plan created through plans.services, as the API would create it."""
    team = team or TeamFactory()
    if steps is None and delegation is None:
        steps = [step("a"), step("b", "a")]
    submission = services.PlanSubmission(
        user_id=fields.pop("user_id", "user-1"),
        topic_id=fields.pop("topic_id", "topic-1"),
        goal=goal,
        steps=steps,
        delegation=delegation,
        **fields,
    )
    return services.plan_submit(team=team, actor=services.SYSTEM, submission=submission)


def approve(plan: Plan) -> Plan:
    plan.refresh_from_db()
    return services.plan_approve(plan=plan, actor=services.SYSTEM, version=plan.version)


WORKER = services.Actor.worker("test")


def claim(plan: Plan, key: str) -> queue.Claim:
    """Claim the ready step `key` of an executing plan, as a worker would. Fails if any other
    step was claimed with it, so call it when that step is the only one ready."""
    claims = queue.steps_claim(worker="test", actor=WORKER, limit=100, lease_seconds=60)
    assert [(c.plan_id, c.key) for c in claims] == [(plan.pk, key)], claims
    return claims[0]


def finish(claimed: queue.Claim, outcome: StepOutcome) -> bool:
    """Record the outcome of a claimed step; False if it was refused."""
    accepted = queue.steps_finish(
        reports=[queue.Report(claim=claimed, outcome=outcome)], actor=WORKER
    )
    return claimed.id in accepted
