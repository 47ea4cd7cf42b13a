"""The MCP tools: each checks its scope, reads within the token's team and calls the service
the API calls, so a tool's JSON is the API's JSON for the same thing (plans.api.schemas).

A tool that cannot do what was asked raises ToolError: the agent reads its message (the
missing scope, every problem with its path, the state a plan is in) in an `is_error` result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypedDict, TypeVar
from uuid import UUID

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from ninja.responses import NinjaJSONEncoder
from pydantic import Field, ValidationError

from plans import selectors, services
from plans.access.checks import AccessDenied
from plans.api.endpoints import submission_of as submission_from
from plans.api.schemas import PlanIn, PlanOut
from plans.catalog.selectors import actions_for
from plans.catalog.services import plan_inputs_supply
from plans.mcp.auth import raw_token, token_with_scope
from plans.models import ApiToken, Plan, Scope
from plans.planning.services import PlannerUnavailable, PlanningFailed, Proposal, plan_propose
from plans.states import DomainError, StaleVersion
from plans.streaming import follow
from plans.streaming.reads import off_loop
from plans.validation import PlanInvalid, Problem

R = TypeVar("R")

PlanId = Annotated[UUID, Field(description="The plan's id, as submit_plan returned it.")]


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as GET /api/v1/plans/{id} answers it."""
    fresh = selectors.plan_get_for_team(plan.team, plan.pk)
    data: dict[str, Any] = json.loads(
        json.dumps(PlanOut.from_orm(fresh).model_dump(), cls=NinjaJSONEncoder)
    )
    return data


def problems_error(problems: list[Problem]) -> ToolError:
    lines = "\n".join(f"{problem.path}: {problem.msg}" for problem in problems)
    count = len(problems)
    return ToolError(f"invalid input ({count} problem{'s' if count != 1 else ''}):\n{lines}")


def _as_tool_error(exc: Exception, plan_id: UUID | None) -> ToolError:
    if isinstance(exc, Plan.DoesNotExist):
        return ToolError("plan not found")
    if isinstance(exc, PlanInvalid):
        return problems_error(exc.problems)
    if isinstance(exc, AccessDenied):
        return ToolError(str(exc))
    assert isinstance(exc, DomainError)  # noqa: S101 - the caller catches only these
    # As the API's 409: say where the plan is now, so the agent can read it and try again.
    state = None
    if plan_id is not None:
        state = Plan.objects.filter(pk=plan_id).values("status", "version").first()
    if state is None:
        return ToolError(str(exc))
    version = exc.current_version if isinstance(exc, StaleVersion) else state["version"]
    return ToolError(f"{exc} (the plan is {state['status']}, at version {version})")


async def call(scope: str, work: Callable[[ApiToken], R], *, plan_id: UUID | None = None) -> R:
    """`work(token)` in a thread of its own with the request's token, once it has `scope`;
    the database connection is closed after, as at the end of an API request. The domain's
    refusals come back as ToolError."""
    raw = raw_token()

    def run() -> R:
        token = token_with_scope(raw, scope)
        try:
            return work(token)
        except (Plan.DoesNotExist, PlanInvalid, DomainError) as exc:
            raise _as_tool_error(exc, plan_id) from exc

    # A thread for this call alone, as Django gives each request: one slow call does not hold
    # up the others' reads.
    async with ThreadSensitiveContext():
        result: R = await off_loop(run)()
    return result


async def list_actions() -> dict[str, list[dict[str, Any]]]:
    """The team's action catalog, as GET /api/v1/actions gives it: every action a step may name
    (`"action": "<name>"` with `"inputs"`), with the JSON Schemas of its inputs and result.
    Needs the scope plans:read."""

    def work(token: ApiToken) -> list[dict[str, Any]]:
        actions = actions_for(token.team)
        return [a.as_json() | {"source": a.source} for a in actions.values()]

    return {"actions": await call(Scope.READ, work)}


async def submit_plan(
    plan: Annotated[
        dict[str, Any],
        Field(
            description="The plan, exactly the body of POST /api/v1/plans: goal, user_id, "
            "topic_id, title?, tags?, inputs?, and either steps (each {key, task, "
            "depends_on?, executor? and params?, or action and inputs}) or delegation."
        ),
    ],
) -> dict[str, Any]:
    """Submit a plan for review. It is created as a draft, as POST /api/v1/plans creates it,
    and a reviewer must approve it before it runs: wait_for_decision then waits for that. An
    invalid plan creates nothing and lists every problem with its path. Needs plans:submit."""
    try:
        payload = PlanIn.model_validate(plan)
    except ValidationError as exc:
        raise problems_error(
            [Problem(("plan", *e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None

    def work(token: ApiToken) -> dict[str, Any]:
        try:
            created = services.plan_submit(
                team=token.team,
                actor=services.Actor.for_token(token),
                submission=submission_from(payload),
            )
        except PlanInvalid as exc:
            raise PlanInvalid([Problem(("plan", *p.loc), p.msg) for p in exc.problems]) from exc
        return plan_json(created)

    return await call(Scope.SUBMIT, work)


async def propose_plan(
    goal: Annotated[
        str,
        Field(min_length=1, max_length=10000, description="What the plan must achieve, in words."),
    ],
    user_id: Annotated[str, Field(min_length=1, max_length=200, description="Whom it is for.")],
    topic_id: Annotated[
        str, Field(min_length=1, max_length=200, description="What it is about (a thread).")
    ],
    inputs: Annotated[
        dict[str, Any] | None,
        Field(description="Plan inputs already known, by name; the planner binds them."),
    ] = None,
    actions: Annotated[
        list[str] | None,
        Field(max_length=200, description="Only these actions of the catalog; all if omitted."),
    ] = None,
    instruction: Annotated[
        str, Field(max_length=10000, description="More guidance for the planner.")
    ] = "",
) -> dict[str, Any]:
    """Have Plangate's planner make a plan for a goal over the team's action catalog, as POST
    /api/v1/plans/propose does. The plan is created as a draft for a reviewer to approve, with
    the inputs the goal did not give in missing_inputs (give them with supply_inputs). When no
    valid plan could be made, lists the problems with their paths; when the planner cannot be
    reached, says so: try again later. Needs plans:submit."""
    proposal = Proposal(
        goal=goal,
        user_id=user_id,
        topic_id=topic_id,
        inputs=inputs,
        actions=actions,
        instruction=instruction,
    )

    def work(token: ApiToken) -> dict[str, Any]:
        try:
            plan = plan_propose(
                team=token.team, actor=services.Actor.for_token(token), proposal=proposal
            )
        except PlanningFailed as exc:
            # Problems of the planner's last candidate, at their paths in it.
            problems = [Problem(("candidate", *p.loc), p.msg) for p in exc.problems]
            raise problems_error(problems) from exc
        except PlannerUnavailable as exc:
            raise ToolError(f"{exc}; try again later") from exc
        return plan_json(plan)

    return await call(Scope.SUBMIT, work)


async def get_plan(plan_id: PlanId) -> dict[str, Any]:
    """The plan as GET /api/v1/plans/{id} gives it: status, version, steps with their status
    and results, missing_inputs, artifacts. Needs plans:read."""

    def work(token: ApiToken) -> dict[str, Any]:
        return plan_json(selectors.plan_get_for_team(token.team, plan_id))

    return await call(Scope.READ, work, plan_id=plan_id)


class Decision(TypedDict):
    done: bool
    status: str
    version: int
    waited_seconds: float
    plan: dict[str, Any]


async def wait_for_decision(
    plan_id: PlanId,
    timeout_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=86400,
            description="Seconds to wait at most; the server caps it at its "
            "PLANGATE_WAIT_MAX_SECONDS (60 by default). Call again while done is false.",
        ),
    ] = 30,
) -> Decision:
    """Wait until a reviewer has decided on the plan (approved it, requested changes or
    cancelled it), as GET /api/v1/plans/{id}/wait?for=decision does. Answers at once when it is
    decided, else after timeout_seconds with done false; either way with the plan as it is
    then. Needs plans:read."""
    token = await call(Scope.READ, lambda token: token)
    timeout = min(timeout_seconds, settings.PLANGATE_WAIT_MAX_SECONDS)
    try:
        # Outside a thread of its own: between its short reads the wait holds no thread and
        # no database connection, whatever the number of agents waiting.
        result = await follow.wait_for(
            team_id=token.team_id, plan_id=plan_id, until=follow.Until.DECISION, timeout=timeout
        )
    except Plan.DoesNotExist:
        raise ToolError("plan not found") from None
    plan = await call(
        Scope.READ,
        lambda token: plan_json(selectors.plan_get_for_team(token.team, plan_id)),
        plan_id=plan_id,
    )
    return {
        "done": result.done,
        # The plan's, as rendered: it may have moved on since the wait ended.
        "status": plan["status"],
        "version": plan["version"],
        "waited_seconds": round(result.waited_seconds, 3),
        "plan": plan,
    }


async def supply_inputs(
    plan_id: PlanId,
    version: Annotated[int, Field(ge=1, le=2**31 - 1, description="The plan version you read.")],
    values: Annotated[
        dict[str, Any],
        Field(
            description="Input name -> value, for the plan's missing_inputs, each fitting "
            "its value_schema."
        ),
    ],
) -> dict[str, Any]:
    """Supply the plan's missing inputs, as POST /api/v1/plans/{id}/inputs does: the plan
    becomes version + 1, a new revision to review and approve. Lists each value that does not
    fit at values.<name>; a stale version names the current one. Needs plans:submit."""

    def work(token: ApiToken) -> dict[str, Any]:
        plan = selectors.plan_get_for_team(token.team, plan_id)
        plan_inputs_supply(
            plan=plan, actor=services.Actor.for_token(token), version=version, values=values
        )
        return plan_json(plan)

    return await call(Scope.SUBMIT, work, plan_id=plan_id)


TOOLS: list[Callable[..., Any]] = [
    list_actions,
    submit_plan,
    propose_plan,
    get_plan,
    wait_for_decision,
    supply_inputs,
]


def register(server: MCPServer) -> None:
    for tool in TOOLS:
        server.add_tool(tool)
