"""Gate decisions over the API: approve a step that awaits approval, optionally with edited
params. Skipping a gate and cancelling its plan are the plans router's skip and cancel."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router

from plans import services
from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, fresh, plan_of, token_of
from plans.api.schemas import GateApproveIn, PlanOut
from plans.gates.services import step_approve
from plans.models import Plan, Scope

router = Router(auth=TokenAuth(), tags=["gates"])


@router.post(
    "/{uuid:plan_id}/steps/{key}/approve",
    response=answers({200: PlanOut}),
    summary="Approve a step awaiting approval",
    auth=needs(Scope.DECIDE),
)
def approve_step(request: HttpRequest, plan_id: UUID, key: str, payload: GateApproveIn) -> Plan:
    """The step runs next, with `params` if given (a 422 with its path if its executor refuses
    them). A 409 if the plan's version is no longer `version`, or if the step no longer awaits
    approval (another decision came first: the answer names its status)."""
    plan = plan_of(request, plan_id)
    step_approve(
        plan=plan,
        key=key,
        actor=services.Actor.for_token(token_of(request)),
        version=payload.version,
        params=payload.params,
    )
    return fresh(plan)
