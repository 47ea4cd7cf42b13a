"""The action catalog: the actions a team's steps may name, and supplying a plan's inputs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, fresh, plan_of, token_of
from plans.api.schemas import PlanOut, RequestBody
from plans.catalog import selectors
from plans.catalog.services import plan_inputs_supply
from plans.models import Scope
from plans.services import Actor

router = Router(auth=TokenAuth(), tags=["catalog"])
plans_router = Router(auth=TokenAuth(), tags=["catalog"])


class ActionOut(Schema):
    name: str
    description: str
    executor: str
    input_schema: dict[str, Any] = Field(description="JSON Schema of the inputs (an object).")
    output_schema: dict[str, Any] | None = Field(
        None, description="JSON Schema of the result, if the action declares one."
    )
    params: dict[str, Any] = Field(description="Default params; the inputs go over them.")
    timeout_seconds: float | None
    max_attempts: int | None
    guardrails: dict[str, Any] | None
    estimated_cost: float | None
    source: str = Field(description="'settings' (PLANGATE_ACTIONS) or 'team' (the admin).")


class InputsIn(RequestBody):
    """Plan inputs to supply. Strings must not contain NUL characters (\\u0000)."""

    version: int = Field(ge=1, le=2**31 - 1, description="The plan version you read.")
    values: dict[str, Any] = Field(description="Input name -> value, each fitting its schema.")


@router.get(
    "",
    response=answers({200: list[ActionOut]}),
    summary="The team's action catalog",
    auth=needs(Scope.READ),
)
def list_actions(request: HttpRequest) -> list[dict[str, Any]]:
    """Every action a step may name (`"action": "<name>"` with `"inputs"`), by name, with its
    schemas: the settings' actions and the team's own (which win over a settings action of the
    same name)."""
    actions = selectors.actions_for(token_of(request).team)
    return [a.as_json() | {"source": a.source} for a in actions.values()]


@plans_router.post(
    "/{uuid:plan_id}/inputs",
    response=answers({200: PlanOut}),
    summary="Supply the plan's missing inputs",
    auth=needs(Scope.SUBMIT),
)
def supply_inputs(request: HttpRequest, plan_id: UUID, payload: InputsIn) -> Any:
    """Set plan inputs (`missing_inputs` lists those its steps need) as a new revision of the
    plan, `version + 1`, to review and approve again. 422 lists each value that does not fit
    its schema, or that no step uses, at `values.<name>`; 409 if `version` is not the plan's or
    the plan is past review."""
    plan = plan_of(request, plan_id)
    plan_inputs_supply(
        plan=plan,
        actor=Actor.for_token(token_of(request)),
        version=payload.version,
        values=payload.values,
    )
    return fresh(plan)
