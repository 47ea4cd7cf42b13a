"""Reads that carry a permission check or a non-trivial query.

Every read of a plan goes through a team filter here: a reviewer sees their teams' plans, a token
its own team's; anything else is "not found", never "forbidden", so ids do not leak. The state
the engine keeps (circuit breakers, a fan-out step's items) is read here too: pages and the API
read it without importing the engine that writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import (
    Count,
    Max,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from plans.dependencies import attach_dependencies, loaded_dependencies
from plans.models import (
    ApiToken,
    CircuitState,
    EventKind,
    ExecutorCircuit,
    Plan,
    PlanEvent,
    PlanStep,
    Team,
)
from plans.stages import stages_of, window
from plans.states import STEP_TERMINAL, StepStatus
from plans.validation import FAN_OUT_DEFAULT_CONCURRENCY

# How many items the plan page lists under a fan-out step (the API lists them all).
ITEMS_SHOWN = 200


def _filtered(
    plans: QuerySet[Plan], *, status: str = "", user_id: str = "", topic_id: str = ""
) -> QuerySet[Plan]:
    if status:
        plans = plans.filter(status=status)
    if user_id:
        plans = plans.filter(user_id=user_id)
    if topic_id:
        plans = plans.filter(topic_id=topic_id)
    return plans.order_by("-created_at", "-pk")


def teams_for_user(user: Any) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(members=user)


def plan_list_for_user(user: Any, **filters: str) -> QuerySet[Plan]:
    # The teams' ids as values, not a subquery: for one team the database then reads the plans
    # newest first from the (team, created_at, id) index and stops at the page's end.
    team_ids = list(teams_for_user(user).values_list("id", flat=True))
    plans = Plan.objects.filter(team_id__in=team_ids).select_related("team")
    return _filtered(plans, **filters)


def plan_list_for_team(team: Team, **filters: str) -> QuerySet[Plan]:
    return _filtered(Plan.objects.filter(team=team), **filters)


def _with_details(plans: QuerySet[Plan]) -> QuerySet[Plan]:
    steps = PlanStep.objects.filter(parent=None)
    return plans.select_related("team", "approved_by", "approved_by_token").prefetch_related(
        Prefetch("steps", queryset=steps), "artifacts"
    )


def _detailed(plans: QuerySet[Plan], plan_id: UUID | str) -> Plan:
    """The plan with its own steps in `plan.steps`, their dependencies, and the items of each
    fan-out step as its `children`, in item and stage order, in four queries however many steps
    it has."""
    plan = _with_details(plans).get(pk=plan_id)
    steps = plan.steps.all()
    # The steps' dependencies in one query, as the steps already loaded (plans/dependencies.py).
    attach_dependencies(steps)
    # Only fan-out steps have items: the others need no related query of their own each.
    fan_outs = [s for s in steps if s.for_each is not None]
    items = PlanStep.objects.order_by("item_index", "stage_index", "pk")
    prefetch_related_objects(fan_outs, Prefetch("children", queryset=items))
    return plan


def plan_header_for_team(team: Team, plan_id: UUID | str) -> Plan:
    """The plan with its artifacts, not its steps (for an answer that has them in hand); raises
    Plan.DoesNotExist for another team's plan."""
    plans = Plan.objects.filter(team=team).select_related(
        "team", "approved_by", "approved_by_token"
    )
    return plans.prefetch_related("artifacts").get(pk=plan_id)


def plan_get_for_user(user: Any, plan_id: UUID | str) -> Plan:
    """The plan with its steps and artifacts.

    Raises Plan.DoesNotExist unless the user is in the plan's team.
    """
    return _detailed(Plan.objects.filter(team__in=teams_for_user(user)), plan_id)


def plan_row_for_team(team: Team, plan_id: UUID | str) -> Plan:
    """The plan's own row, without its steps, for an action that reads or locks what it needs
    itself (a decision, the event log); raises Plan.DoesNotExist for another team's plan."""
    return Plan.objects.select_related("team").get(team=team, pk=plan_id)


def plan_get_for_team(team: Team, plan_id: UUID | str) -> Plan:
    """The plan with its steps and artifacts; raises Plan.DoesNotExist for another team's plan."""
    return _detailed(Plan.objects.filter(team=team), plan_id)


def user_can_see_plan(user: Any, plan_id: UUID | str) -> bool:
    return Plan.objects.filter(pk=plan_id, team__in=teams_for_user(user)).exists()


def events_after(plan: Plan, after: int = 0, limit: int = 500) -> list[PlanEvent]:
    return list(plan.events.filter(id__gt=after).order_by("id")[:limit])


def latest_event_id(plan_id: UUID | str) -> int:
    last = (
        PlanEvent.objects.filter(plan_id=plan_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return last or 0


def log_position() -> int:
    """The id of the newest event of any plan, 0 if none: one step down the primary key. A page
    of several plans (the list, the inbox) shows what the log held up to here; events of its
    teams with a greater id are news to it."""
    return PlanEvent.objects.aggregate(newest=Max("id"))["newest"] or 0


def latest_event_id_for_teams(
    team_ids: list[int], *, after: int = 0, other_than: UUID | str | None = None
) -> int:
    """The id of the newest event of the teams' plans above `after` (leaving out the plan
    `other_than`); `after` if there is none. Reads the log from its newest event down to
    `after`, so keep `after` recent."""
    events = PlanEvent.objects.filter(plan__team_id__in=team_ids, id__gt=after)
    if other_than is not None:
        events = events.exclude(plan_id=other_than)
    last = events.order_by("-id").values_list("id", flat=True).first()
    return after if last is None else last


def dependents_of(step: PlanStep) -> list[str]:
    """Keys of the steps that wait for `step`, directly or through others."""
    plan_steps = list(step.plan.steps.prefetch_related("depends_on"))
    waits_for = {s.key: {d.key for d in s.depends_on.all()} for s in plan_steps}
    found: list[str] = []
    frontier = {step.key}
    while frontier:
        nxt = {
            k
            for k, deps in waits_for.items()
            if deps & frontier and k not in found and k != step.key
        }
        found.extend(sorted(nxt))
        frontier = nxt
    return found


def step_row_key(plan: Plan, key: str) -> str | None:
    """The key of the plan's own step whose row shows step `key`: itself, or for a fan-out item
    the step it belongs to; None if the plan has no such step."""
    if any(s.key == key for s in plan.steps.all()):
        return key
    return (
        PlanStep.objects.filter(plan=plan, key=key)
        .exclude(parent=None)
        .values_list("parent__key", flat=True)
        .first()
    )


def step_inputs(step: PlanStep) -> dict[str, Any]:
    """Results of the step's completed dependencies, by key. Skipped ones pass nothing on."""
    return {d.key: d.result for d in step.depends_on.all() if d.status == StepStatus.COMPLETED}


# --- Reviewer pages -----------------------------------------------------------------------------


def attach_step_counts(plans: list[Plan]) -> list[Plan]:
    """Set each plan's `steps_total` and `steps_done` (completed, skipped or failed), counting
    the plan's own steps, not the items of its fan-out steps: one grouped query over the steps
    of these plans only (a page of the list), however many steps other plans have."""
    counts = {
        row["plan_id"]: row
        for row in PlanStep.objects.filter(plan__in=plans, parent=None)
        .values("plan_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status__in=STEP_TERMINAL)))
    }
    for plan in plans:
        row = counts.get(plan.pk, {})
        plan.steps_total = row.get("total", 0)  # type: ignore[attr-defined]
        plan.steps_done = row.get("done", 0)  # type: ignore[attr-defined]
    return plans


def latest_event_id_for_user(user: Any) -> int:
    """Where a page of the user's plans starts reading the log (see log_position)."""
    return log_position()


def events_latest(plan: Plan, limit: int = 50) -> list[PlanEvent]:
    """The plan's newest `limit` events, oldest first."""
    return list(plan.events.order_by("-id")[:limit])[::-1]


def still_waited_for_by_key(steps: Iterable[PlanStep]) -> dict[str, list[str]]:
    """For every step, the keys of the steps its dependents would still wait for were it
    skipped now: its dependencies not yet done and, in place of a skipped one that still waits,
    what that one waits for. From steps loaded with `depends_on` prefetched."""
    steps = list(steps)
    by_key = {s.key: s for s in steps}
    found: dict[str, list[str]] = {}

    def waited_for(step: PlanStep) -> list[str]:
        if step.key not in found:
            keys: dict[str, None] = {}
            for d in sorted(loaded_dependencies(step), key=lambda d: (d.position, d.pk)):
                dep = by_key.get(d.key, d)
                if dep.status == StepStatus.COMPLETED:
                    continue
                if dep.status == StepStatus.SKIPPED:
                    # A skipped step holds its dependents back until its own dependencies are
                    # done (waiting_on 0), then lets them go.
                    keys.update(dict.fromkeys(waited_for(dep) if dep.waiting_on else []))
                else:
                    keys[dep.key] = None
            found[step.key] = list(keys)
        return found[step.key]

    for s in steps:
        waited_for(s)
    return found


def dependents_by_key(
    steps: Iterable[PlanStep],
    *,
    only: Iterable[str] | None = None,
    limit: int | None = None,
) -> dict[str, list[str]]:
    """For every step (or those `only` names), what `dependents_of` gives, computed at once from
    steps already loaded with `depends_on` prefetched (one page render would otherwise query the
    plan per step). With `limit`, at most that many keys each, the nearest first: the search stops
    there, so a long chain costs no more than `limit` steps per key."""
    steps = list(steps)
    waited_on_by: dict[str, set[str]] = {s.key: set() for s in steps}
    for s in steps:
        for d in loaded_dependencies(s):
            waited_on_by.setdefault(d.key, set()).add(s.key)
    found: dict[str, list[str]] = {}
    for key in [s.key for s in steps] if only is None else only:
        seen = {key}
        out: list[str] = []
        frontier = {key}
        while frontier and (limit is None or len(out) < limit):
            nxt = {k for f in frontier for k in waited_on_by.get(f, ())} - seen
            out.extend(sorted(nxt))
            seen |= nxt
            frontier = nxt
        found[key] = out if limit is None else out[:limit]
    return found


def dependent_counts(steps: Iterable[PlanStep]) -> dict[str, int]:
    """How many steps wait for each step, directly or through others, from steps loaded with
    `depends_on` prefetched. One pass in dependency order, each step's dependents a bit set
    (the union of its direct dependents' own), however long the plan's chains are."""
    steps = list(steps)
    index = {s.key: i for i, s in enumerate(steps)}
    waits_for = [[index[d.key] for d in loaded_dependencies(s) if d.key in index] for s in steps]
    waited_on_by: list[list[int]] = [[] for _ in steps]
    for i, deps in enumerate(waits_for):
        for d in deps:
            waited_on_by[d].append(i)
    # Dependency order (Kahn): a step after everything it waits for.
    left = [len(deps) for deps in waits_for]
    order = [i for i, n in enumerate(left) if n == 0]
    for i in order:
        for j in waited_on_by[i]:
            left[j] -= 1
            if left[j] == 0:
                order.append(j)
    below = [0] * len(steps)
    for i in reversed(order):
        for j in waited_on_by[i]:
            below[i] |= below[j] | (1 << j)
    return {s.key: below[i].bit_count() for i, s in enumerate(steps)}


class TokenNames(Mapping[str, str]):
    """API tokens' names by prefix (revoked ones too: they still name who acted), read when a
    page first names a token: a page naming none asks for none."""

    def __init__(self, tokens: QuerySet[ApiToken]) -> None:
        self._tokens = tokens
        self._names: dict[str, str] | None = None

    def _read(self) -> dict[str, str]:
        if self._names is None:
            self._names = dict(self._tokens.values_list("prefix", "name"))
        return self._names

    def __getitem__(self, prefix: str) -> str:
        return self._read()[prefix]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def token_names_for_team(team_id: int) -> TokenNames:
    """The team's API tokens' names by prefix."""
    return TokenNames(ApiToken.objects.filter(team_id=team_id))


def token_names_for_user(user: Any) -> TokenNames:
    """The names of the API tokens of every team the user is in, by prefix."""
    return TokenNames(ApiToken.objects.filter(team__memberships__user=user))


def plan_approver(plan: Plan) -> str:
    """Who approved the plan, as its plan.approved event names them ("user:alice",
    "token:<prefix>", "policy:<rule>", "system:timeout"); "" for a plan not approved."""
    if plan.approved_at is None:
        return ""
    actor = (
        plan.events.filter(kind=EventKind.PLAN_APPROVED)
        .order_by("-id")
        .values_list("actor", flat=True)
        .first()
    )
    if actor:
        return actor
    # A plan restored from a checkpoint has no events: its own fields say who, less precisely.
    if plan.approved_by is not None:
        return f"user:{plan.approved_by.get_username()}"
    if plan.approved_by_token is not None:
        return f"token:{plan.approved_by_token.prefix}"
    return "system"


def executors_used(plan: Plan) -> list[str]:
    """The executors the plan's steps name, the items of its fan-out steps included."""
    return list(
        PlanStep.objects.filter(plan=plan).order_by().values_list("executor", flat=True).distinct()
    )


def event_time(event_id: int) -> datetime | None:
    """When an event was written; None for an unknown id."""
    return PlanEvent.objects.filter(pk=event_id).values_list("created_at", flat=True).first()


# --- Circuit breakers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Circuit:
    """What the API and the plan page show for one executor."""

    executor: str
    state: str
    consecutive_failures: int
    open_until: datetime | None
    last_error: str
    # When the circuit last counted an outcome (None: never). Pages showing it since then redraw.
    changed_at: datetime | None = None


def circuit_state(circuit: ExecutorCircuit, now: datetime | None = None) -> str:
    """The state as it is now: an open circuit whose cool-down is over is half open."""
    now = now or timezone.now()
    if circuit.state == CircuitState.OPEN and circuit.open_until and circuit.open_until <= now:
        return CircuitState.HALF_OPEN
    return circuit.state


def circuits_for(team_id: int, executors: Iterable[str]) -> list[Circuit]:
    """The team's circuit of each named executor, closed for those that never failed."""
    names = sorted(set(executors))
    rows = {
        c.executor: c for c in ExecutorCircuit.objects.filter(team_id=team_id, executor__in=names)
    }
    now = timezone.now()
    out = []
    for name in names:
        row = rows.get(name)
        if row is None:
            out.append(Circuit(name, CircuitState.CLOSED, 0, None, ""))
        else:
            out.append(
                Circuit(
                    name,
                    circuit_state(row, now),
                    row.consecutive_failures,
                    row.open_until,
                    row.last_error,
                    row.updated_at,
                )
            )
    return out


# --- A fan-out step's items -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """One item of a fan-out step as the plan page shows it: its value and its stages' steps."""

    index: int
    item: Any
    steps: list[PlanStep] = field(default_factory=list)

    @property
    def outcome(self) -> PlanStep | None:
        """The step whose result or error stands for the item: its failed stage, else its last
        completed one."""
        failed = [s for s in self.steps if s.status == StepStatus.FAILED]
        if failed:
            return failed[0]
        completed = [s for s in self.steps if s.status == StepStatus.COMPLETED]
        return completed[-1] if completed else None


@dataclass(frozen=True)
class ItemTable:
    """The items of a fan-out step for the plan page: stage names (a plain fan-out's one stage
    is named after its executor), the first ITEMS_SHOWN items, and how many there are."""

    stages: list[str]
    rows: list[ItemRow]
    total: int
    # How many items are under way at once.
    window: int = FAN_OUT_DEFAULT_CONCURRENCY

    @property
    def hidden(self) -> int:
        return self.total - len(self.rows)


def item_table(parent: PlanStep) -> ItemTable:
    """The items of `parent` from `parent.children`, prefetched by the plan selectors in item
    and stage order."""
    rows: dict[int, ItemRow] = {}
    for child in parent.children.all():
        index = child.item_index or 0
        if index not in rows:
            rows[index] = ItemRow(index=index, item=child.item)
        rows[index].steps.append(child)
    ordered = [rows[i] for i in sorted(rows)]
    return ItemTable(
        stages=[s.name or s.executor for s in stages_of(parent)],
        rows=ordered[:ITEMS_SHOWN],
        total=len(ordered),
        window=window(parent.for_each),
    )
