"""Planning: a goal becomes a draft plan, and a message becomes the values of missing inputs.

`plan_propose` asks the configured backend for a candidate over the team's catalog (or the
named subset), checks it exactly as a submission is checked, and feeds the problems back for up
to `max_repairs` repairs. The first valid candidate is submitted as a draft plan with a
planning artifact (backend, model, reasoning, every repair with its problems, usage), and the
planning's events (started, candidate, invalid, repaired, done) go into the plan's log. What
the backend consumed is priced and counts against the plan's and the team's budgets.

Calls to a backend go through a circuit breaker per team and backend (plans/circuits.py): when
it is open, planning is refused at once instead of waiting on a backend that is down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from executors.protocol import Usage
from plans import circuits, services
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.bindings.flow import value_problems
from plans.budgets import holds
from plans.budgets.services import Spend, usage_record
from plans.catalog.selectors import actions_for, plan_missing_inputs
from plans.models import EventKind, ExecutorCircuit, Plan, Team
from plans.planning import config
from plans.planning.brief import (
    Backend,
    BackendUnavailable,
    Brief,
    Candidate,
    CannotPlan,
    candidate_steps,
)
from plans.services import Actor
from plans.states import DomainError
from plans.validation import PlanInvalid, Problem

logger = logging.getLogger(__name__)
T = TypeVar("T")

ARTIFACT_TITLE = "Planning"


@dataclass(frozen=True)
class Proposal:
    """What a requester asks the planner for."""

    goal: str
    user_id: str
    topic_id: str
    # Plan inputs already known, by name.
    inputs: Mapping[str, Any] | None = None
    # Only these actions of the catalog; None: all of them.
    actions: list[str] | None = None
    instruction: str = ""


class PlannerUnavailable(DomainError):
    """The planner backend cannot answer now (down, timing out, its circuit open)."""


class PlanningFailed(PlanInvalid):
    """No valid candidate after every repair: `problems` are the last candidate's, at their
    paths in the candidate; `repairs` says how many were tried."""

    def __init__(self, problems: list[Problem], *, repairs: int) -> None:
        super().__init__(problems)
        self.repairs = repairs


@dataclass
class Trail:
    """What planning went through, for the artifact and the event log."""

    backend: str
    model: str
    started: float = field(default_factory=time.monotonic)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    usages: list[Usage] = field(default_factory=list)

    def note(self, kind: str, **data: Any) -> None:
        elapsed = round((time.monotonic() - self.started) * 1000)
        self.events.append((kind, {**data, "elapsed_ms": elapsed}))

    def used(self, usage: Usage | None) -> None:
        if usage is not None:
            self.usages.append(usage)

    def usage(self) -> dict[str, Any]:
        return {
            "input_tokens": sum(u.input_tokens for u in self.usages),
            "output_tokens": sum(u.output_tokens for u in self.usages),
            "calls": len(self.usages),
        }


def plan_propose(
    *, team: Team, actor: Actor, proposal: Proposal, planner: Backend | None = None
) -> Plan:
    """A draft plan for `proposal.goal`, made by `planner` (the configured backend if None).

    Raises PlanInvalid for a bad request (at its fields: goal, actions, inputs), PlanningFailed
    when no candidate became valid, PlannerUnavailable when the backend cannot answer.
    """
    catalog = _catalog(team, proposal)
    planner = planner or config.backend()
    _refuse_if_spent(team, planner)
    brief = Brief(
        goal=proposal.goal.strip(),
        actions=catalog,
        inputs=dict(proposal.inputs or {}),
        instruction=proposal.instruction.strip(),
    )
    trail = Trail(backend=planner.name, model=planner.model)
    trail.note(
        EventKind.PLANNING_STARTED,
        backend=planner.name,
        model=planner.model,
        actions=list(catalog),
        max_repairs=config.max_repairs(),
    )
    previous: Candidate | None = None
    problems: list[Problem] = []
    for round_ in range(config.max_repairs() + 1):
        candidate = _draft(team, planner, brief, trail, previous=previous, problems=problems)
        steps, problems = candidate_steps(candidate.plan)
        trail.note(EventKind.PLANNING_CANDIDATE, round=round_, steps=len(steps))
        if round_ > 0:
            trail.note(EventKind.PLANNING_REPAIRED, round=round_, problems=len(trail.repairs[-1]))
        if not problems:
            try:
                return _submit(team, actor, proposal, brief, candidate, steps, trail)
            except PlanInvalid as exc:
                problems = exc.problems
        if problems and all(p.loc[:1] == ("inputs",) for p in problems):
            # The requester's own values do not fit: no repair of the steps changes that.
            raise PlanInvalid(problems)
        trail.note(EventKind.PLANNING_INVALID, round=round_, problems=_listed(problems))
        trail.repairs.append({"round": round_, "problems": _listed(problems)})
        previous = candidate
    logger.info(
        "planning for team %s found no valid plan after %d repairs", team.pk, len(trail.repairs)
    )
    _charge(team, None, trail)
    raise PlanningFailed(problems, repairs=len(trail.repairs) - 1)


def _catalog(team: Team, proposal: Proposal) -> dict[str, Any]:
    problems = []
    if not proposal.goal.strip():
        problems.append(Problem(("goal",), "goal must not be empty"))
    catalog = actions_for(team)
    if proposal.actions is not None:
        if not proposal.actions:
            problems.append(Problem(("actions",), "name at least one action, or leave it out"))
        for index, name in enumerate(proposal.actions):
            if name not in catalog:
                known = ", ".join(catalog) or "(none)"
                problems.append(
                    Problem(("actions", index), f"unknown action {name!r}; the catalog has {known}")
                )
        catalog = {name: catalog[name] for name in proposal.actions if name in catalog}
    if problems:
        raise PlanInvalid(problems)
    return catalog


def _refuse_if_spent(team: Team, planner: Backend) -> None:
    """A backend that costs nothing always plans; one that costs is refused once the team's
    monthly budget is spent, as its plans' steps are held."""
    if planner.name == "catalog" or team.monthly_budget is None:
        return
    spent = holds.team_spent(team.pk)
    if spent >= team.monthly_budget:
        raise DomainError(
            f"the team has spent {holds.money(spent)} of its monthly budget of "
            f"{holds.money(team.monthly_budget)} for {holds.this_month()}: planning with a "
            "model is refused until an admin raises the budget"
        )


def _circuit(planner: Backend) -> str:
    return f"planner:{planner.name}"


def _draft(
    team: Team,
    planner: Backend,
    brief: Brief,
    trail: Trail,
    *,
    previous: Candidate | None,
    problems: list[Problem],
) -> Candidate:
    try:
        candidate = _call(
            team,
            planner,
            trail,
            lambda: planner.draft(brief, previous=previous, problems=problems),
        )
    except CannotPlan as exc:
        raise PlanInvalid([Problem(("goal",), str(exc))]) from None
    trail.used(candidate.usage)
    return candidate


def _call(
    team: Team, planner: Backend, trail: Trail, ask: Callable[[], T], *, plan: Plan | None = None
) -> T:
    """`ask` the backend through the team's circuit for it: refused at once while the circuit
    is open, a failure that says the backend is unwell counted against it (what the calls
    consumed so far charged to the team, and to `plan` if there is one), a success closing a
    circuit that was failing."""
    circuit = _circuit(planner)
    refusing = circuits.admit(team.pk, circuit)
    if refusing is not None:
        _charge(team, plan, trail)
        until = refusing.open_until or refusing.trial_until or timezone.now()
        raise PlannerUnavailable(
            f"the planner ({planner.name}) failed {refusing.consecutive_failures} times in a "
            f"row; it is not called again until {until:%H:%M:%S} UTC. Last error: "
            f"{refusing.last_error or '(none)'}"
        )
    try:
        answer = ask()
    except BackendUnavailable as exc:
        trail.used(exc.usage)
        if exc.counted:
            circuits.count(team.pk, circuit, [(False, str(exc))])
        _charge(team, plan, trail)
        raise PlannerUnavailable(f"the planner ({planner.name}) cannot answer: {exc}") from None
    _succeeded(team.pk, circuit)
    return answer


def _succeeded(team_id: int, circuit: str) -> None:
    # Writes only when there is something to reset: most calls find no row at all.
    if (
        ExecutorCircuit.objects.filter(team_id=team_id, executor=circuit)
        .exclude(state="closed", consecutive_failures=0)
        .exists()
    ):
        circuits.count(team_id, circuit, [(True, "")])


@transaction.atomic
def _submit(
    team: Team,
    actor: Actor,
    proposal: Proposal,
    brief: Brief,
    candidate: Candidate,
    steps: list[Any],
    trail: Trail,
) -> Plan:
    plan_json = candidate.plan
    title = plan_json.get("title") if isinstance(plan_json.get("title"), str) else ""
    artifact = services.ArtifactDraft(
        title=ARTIFACT_TITLE,
        summary=candidate.reasoning[:10000],
        parameters={
            "backend": trail.backend,
            "model": trail.model,
            "goal": brief.goal,
            "instruction": brief.instruction,
            "actions": list(brief.actions),
            "repairs": trail.repairs,
            "usage": trail.usage(),
        },
        proposed_plan=plan_json,
    )
    plan = services.plan_submit(
        team=team,
        actor=actor,
        submission=services.PlanSubmission(
            user_id=proposal.user_id,
            topic_id=proposal.topic_id,
            goal=brief.goal,
            title=(title or "")[:200],
            steps=steps,
            inputs=dict(brief.inputs),
            artifacts=[artifact],
        ),
    )
    cost = _charge(team, plan, trail)
    missing = [m.name for m in plan_missing_inputs(plan)]
    trail.note(
        EventKind.PLANNING_DONE,
        steps=len(steps),
        repairs=len(trail.repairs),
        missing_inputs=missing,
        usage={**trail.usage(), "cost": str(cost)},
    )
    for kind, data in trail.events:
        services._record(plan, kind, actor, data=data)
    return plan


def _charge(team: Team, plan: Plan | None, trail: Trail) -> Decimal:
    """Price what planning consumed and count it: against the plan when there is one, and
    against the team's month in any case (a failed planning cost money too)."""
    usages = [u for u in trail.usages if u.input_tokens or u.output_tokens or u.cost]
    if not usages:
        return Decimal(0)
    with transaction.atomic():
        spends = [
            Spend(plan_id=plan.pk if plan else None, step_id=None, attempt=i + 1, usage=u)
            for i, u in enumerate(usages)
        ]
        notes = usage_record(plans={plan.pk: plan} if plan else {}, spends=spends, team=team)
    trail.usages = []
    return sum((Decimal(n["cost"]) for n in notes.values()), Decimal(0))


def _listed(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"loc": list(p.loc), "msg": p.msg} for p in problems]


# --- Reading inputs out of a message ------------------------------------------------------------


@dataclass(frozen=True)
class ParsedInputs:
    """Values read out of a message for the plan's missing inputs, to confirm; never applied."""

    values: dict[str, Any]
    missing: list[str]
    notes: list[str]


def inputs_parse(*, plan: Plan, actor: Actor, message: str) -> ParsedInputs:
    """Ask the planner backend which of the plan's missing inputs `message` gives. Values that
    do not fit their schema are left out, with a note. Nothing is written to the plan: the
    requester confirms the values with plan_inputs_supply."""
    access_check(plan=plan, actor=actor, action=Action.REVISE)
    if not message.strip():
        raise PlanInvalid([Problem(("message",), "message must not be empty")])
    missing = plan_missing_inputs(plan)
    if not missing:
        return ParsedInputs(values={}, missing=[], notes=["the plan lacks no input"])
    team = plan.team
    planner = config.backend()
    _refuse_if_spent(team, planner)
    trail = Trail(backend=planner.name, model=planner.model)
    extraction = _call(team, planner, trail, lambda: planner.extract(missing, message), plan=plan)
    trail.used(extraction.usage)
    _charge(team, plan, trail)
    schemas = {m.name: m.schema for m in missing}
    values: dict[str, Any] = {}
    notes = list(extraction.notes)
    for name, value in extraction.values.items():
        if name not in schemas:
            notes.append(f"{name} is not a missing input: left out")
        elif found := value_problems(schemas[name], value, ()):
            notes.append(f"{name}: {found[0].msg}: left out")
        else:
            values[name] = value
    return ParsedInputs(
        values=values, missing=[m.name for m in missing if m.name not in values], notes=notes
    )
