"""factory_boy factories for the domain, and a helper that submits plans through the service."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

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
