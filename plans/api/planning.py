"""The planner: propose a plan from a goal, and read missing inputs out of a message."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema
from pydantic import StringConstraints

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, plan_of, render_plan, token_of
from plans.api.schemas import ErrorOut, PlanOut, RequestBody, Text
from plans.models import Scope
from plans.planning.services import (
    PlannerUnavailable,
    PlanningFailed,
    Proposal,
    inputs_parse,
    plan_propose,
)
from plans.services import Actor

router = Router(auth=TokenAuth(), tags=["planner"])

Name = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ProposeIn(RequestBody):
    """A goal for the planner. Strings must not contain NUL characters (\\u0000)."""

    goal: Annotated[Text, StringConstraints(max_length=10000)] = Field(
        description="What the plan must achieve, in words."
    )
    user_id: Name
    topic_id: Name
    inputs: dict[str, Any] = Field(
        {}, description="Plan inputs already known, by name; the planner binds them."
    )
    actions: list[Name] | None = Field(
        None, max_length=200, description="Only these actions of the catalog; all if omitted."
    )
    instruction: Annotated[Text, StringConstraints(max_length=10000)] = Field(
        "", description="More guidance for the planner."
    )


class ParseIn(RequestBody):
    """A message to read the plan's missing inputs from. No NUL characters (\\u0000)."""

    message: Annotated[Text, StringConstraints(max_length=20000)]


class ParsedOut(Schema):
    values: dict[str, Any] = Field(
        description="Values read for missing inputs, each fitting its schema. Not applied: "
        "confirm them with POST /api/v1/plans/{id}/inputs."
    )
    missing: list[str] = Field(description="Inputs still missing once these are supplied.")
    notes: list[str] = Field(description="What the planner could not read, and why.")


class PlanningProblemOut(Schema):
    loc: list[str | int] = Field(
        description='Where: in the request (["body", ...]) or in the planner\'s last '
        'candidate (["candidate", "steps", 0, ...]).'
    )
    msg: str
    type: str


class PlanningProblemsOut(Schema):
    """422: the request's problems, or the last candidate's once every repair was tried."""

    detail: list[PlanningProblemOut]
    repairs: int | None = Field(None, description="Repairs tried, when planning failed.")


UNAVAILABLE = {503: ErrorOut}


@router.post(
    "/propose",
    response=answers({201: PlanOut}) | {422: PlanningProblemsOut} | UNAVAILABLE,
    summary="Propose a plan for a goal",
    auth=needs(Scope.SUBMIT),
)
def propose_plan(request: HttpRequest, payload: ProposeIn) -> HttpResponse:
    """The configured planner drafts a plan over the team's action catalog (or the named
    actions); it is checked as a submission is, and its problems are fed back for repairs.
    201: a draft plan, with a "Planning" artifact (backend, model, reasoning, repairs, usage)
    and the planning's events in its log; inputs the goal did not give are in
    `missing_inputs`. 422: the request's problems, or the last candidate's after every repair.
    503: the planner cannot answer (down, timing out, or its circuit open)."""
    token = token_of(request)
    try:
        plan = plan_propose(
            team=token.team,
            actor=Actor.for_token(token),
            proposal=Proposal(
                goal=payload.goal,
                user_id=payload.user_id,
                topic_id=payload.topic_id,
                inputs=payload.inputs,
                actions=payload.actions,
                instruction=payload.instruction,
            ),
        )
    except PlanningFailed as exc:
        problems = [
            {"loc": ["candidate", *p.loc], "msg": p.msg, "type": "value_error"}
            for p in exc.problems
        ]
        return JsonResponse({"detail": problems, "repairs": exc.repairs}, status=422)
    except PlannerUnavailable as exc:
        return JsonResponse({"detail": str(exc)}, status=503, headers={"Retry-After": "30"})
    return JsonResponse(render_plan(plan), status=201)


@router.post(
    "/{uuid:plan_id}/inputs/parse",
    response=answers({200: ParsedOut}) | UNAVAILABLE,
    summary="Read missing inputs out of a message",
    auth=needs(Scope.SUBMIT),
)
def parse_inputs(request: HttpRequest, plan_id: UUID, payload: ParseIn) -> Any:
    """The planner reads the values of the plan's `missing_inputs` out of free text and
    returns them for confirmation. Nothing is applied: supply the values you confirm with
    POST /api/v1/plans/{id}/inputs. 503: the planner cannot answer."""
    try:
        parsed = inputs_parse(
            plan=plan_of(request, plan_id),
            actor=Actor.for_token(token_of(request)),
            message=payload.message,
        )
    except PlannerUnavailable as exc:
        return JsonResponse({"detail": str(exc)}, status=503, headers={"Retry-After": "30"})
    return {"values": parsed.values, "missing": parsed.missing, "notes": parsed.notes}
