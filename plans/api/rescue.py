"""Rescue endpoints: a reviewer's decision on a plan that needs attention (a step that asks
when it fails has failed). Skipping the failed step is the plans router's skip."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router

from plans import services
from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, fresh, plan_of, token_of
from plans.api.schemas import FailIn, PlanOut, RetryIn
from plans.models import Plan, Scope
from plans.rescue import services as rescue

router = Router(auth=TokenAuth(), tags=["rescue"])


@router.post(
    "/{uuid:plan_id}/steps/{key}/retry",
    response=answers({200: PlanOut}),
    summary="Retry a failed step of a plan that needs attention",
    auth=needs(Scope.DECIDE),
)
def retry_step(request: HttpRequest, plan_id: UUID, key: str, payload: RetryIn) -> Plan:
    """Run the failed step once more, as a new attempt, with `params` if given (checked as at
    submission: a 422 names each problem under `params`). `version` is the plan version you
    saw; an older one is a 409. The plan goes back to executing."""
    plan = plan_of(request, plan_id)
    rescue.step_retry(
        plan=plan,
        key=key,
        actor=services.Actor.for_token(token_of(request)),
        version=payload.version,
        params=payload.params,
    )
    return fresh(plan)


@router.post(
    "/{uuid:plan_id}/fail",
    response=answers({200: PlanOut}),
    summary="Fail a plan that needs attention",
    auth=needs(Scope.DECIDE),
)
def fail_plan(request: HttpRequest, plan_id: UUID, payload: FailIn) -> Plan:
    """End the plan as failed: steps depending on a failed step fail, other pending steps are
    skipped, running steps are stopped. `version` is the plan version you saw; an older one is
    a 409."""
    plan = rescue.plan_fail(
        plan=plan_of(request, plan_id),
        actor=services.Actor.for_token(token_of(request)),
        version=payload.version,
        reason=payload.reason,
    )
    return fresh(plan)
