"""Fan-out and pipelines: a step that runs once per item of a list, through one or more stages.

A step with `for_each` runs no executor of its own. When a worker claims it, `step_expand` reads
the list (`for_each.over`: a dependency's key, optionally followed by a path into its result)
and creates one child step per item and stage, in one transaction:

- key `<parent>[<i>]` for a plain fan-out (the step's own executor, params and task), or
  `<parent>[<i>].<stage>` for each stage of a pipeline;
- stage j+1 of an item depends on its stage j (a dependency row), and gets stage j's result as
  its `item` once that completes;
- at most `max_concurrency` items are under way at once: stage 0 of the items past the first
  max_concurrency waits (waiting_on=1, no dependency row) for a free slot; each time an item's
  chain ends, `children_finished` lets the lowest-numbered waiting item go.

Children are ordinary steps: claimed, leased, retried, timed out and recorded by queue.py
like any other, each with its events. The parent meanwhile stays in progress without a lease
("waiting on its items"): no worker holds it, and it does not count towards the plan's
max_concurrency. `children_finished` (called by the queue when children end) moves each item's
chain on, and when every item has ended completes the parent with the items' results in input
order. An item that fails fails only itself: its result is null and its index is listed in the
parent's error, and the parent still completes.

Everything here runs under the plan's row lock, like every other change to a plan's steps.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from executors.protocol import FailureClass, StepOutcome, json_type
from orchestration.engine.claims import Claim
from plans import realtime
from plans.models import EventKind, Plan, PlanEvent, PlanStep
from plans.rescue.rules import FAILS_PLAN
from plans.services import READY_PAYLOAD, Actor, notify_workers, release_dependents
from plans.stages import Stage, child_key, stages_of, window
from plans.states import STEP_TERMINAL, PlanStatus, StepStatus, step_transition
from plans.validation import STEP_KEY_MAX_LENGTH, split_over

# Plans whose steps in flight are recorded and moved on.
_RUNNING = (PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION)


def items_over(over: str, inputs: dict[str, Any], dependencies: Iterable[str]) -> list[Any]:
    """The list `over` points at in the dependencies' results. Raises ValueError saying what is
    there instead when the path does not lead to a list."""
    split = split_over(over, dependencies)
    if split is None:
        raise ValueError(f"for_each.over {over!r} names none of the step's dependencies")
    dep, fields = split
    if dep not in inputs:
        raise ValueError(
            f"for_each.over {over!r}: dependency {dep!r} was skipped, so there is no list"
        )
    value, at = inputs[dep], dep
    for name in fields:
        if isinstance(value, dict) and name in value:
            value = value[name]
        elif isinstance(value, list) and name.isdigit() and int(name) < len(value):
            value = value[int(name)]
        elif isinstance(value, dict):
            known = ", ".join(sorted(map(str, value))[:10]) or "none"
            raise ValueError(
                f"for_each.over {over!r}: {at!r} has no field {name!r} (its fields: {known})"
            )
        else:
            raise ValueError(
                f"for_each.over {over!r}: {at!r} is {json_type(value)}, which has no field {name!r}"
            )
        at = f"{at}.{name}"
    if not isinstance(value, list):
        raise ValueError(f"for_each.over {over!r} is {json_type(value)}, not a list")
    return value


# --- Expansion (called by the worker) ---------------------------------------------------------


def step_expand(*, claim: Claim, actor: Actor) -> StepOutcome | None:
    """Turn a claimed fan-out step into its items, in one transaction.

    Returns None when the items were created (the step now waits on them), or when the attempt
    is no longer the step's current one (cancelled, reclaimed): nothing is left to record then.
    Returns an outcome for the caller to record through queue.steps_finish when there is nothing
    to fan out: dependency_failed when another top-level step of the plan has failed (the plan
    is failing); success with [] for an empty list; bad_input when `over` does not lead to a
    list, names a skipped dependency, or the list is longer than settings.PLANGATE_MAX_FAN_OUT
    (or its items' keys would not fit).
    """
    with transaction.atomic():
        # The plan's row lock, as the queue takes it: no finish, cancel or reclaim of this
        # plan's steps can interleave with creating the items.
        plan = Plan.objects.select_for_update(no_key=True).filter(pk=claim.plan_id).first()
        # The fence: only the attempt that is still in progress fans out, and only once.
        step = PlanStep.objects.filter(
            pk=claim.id, status=StepStatus.IN_PROGRESS, attempts=claim.attempt
        ).first()
        # A plan that needs attention still fans out a step claimed before it was held: its items
        # wait, unclaimed, until a reviewer's rescue lets the plan go on.
        if plan is None or plan.status not in _RUNNING or step is None:
            return None
        # A step failed for good after this one was claimed: the plan is failing and waits only
        # for the steps in flight, this one among them. Items made now would be claimed and run
        # after the failure, so this step fails instead, and the plan with it. (A failure
        # recorded after this takes the plan's lock after us, and stops the items we made.)
        failed = (
            plan.steps.filter(FAILS_PLAN)
            .order_by("position", "pk")
            .values_list("key", flat=True)
            .first()
        )
        if failed is not None:
            return StepOutcome.failure(
                f"not fanned out: step {failed!r} failed", FailureClass.DEPENDENCY_FAILED
            )
        over = str((step.for_each or {}).get("over", ""))
        dependencies = step.depends_on.values_list("key", flat=True)
        try:
            items = items_over(over, claim.inputs, dependencies)
            stages = stages_of(step)
        except ValueError as error:
            return StepOutcome.failure(str(error), FailureClass.BAD_INPUT)
        except (KeyError, TypeError):
            # Checked at submission; only a for_each written some other way gets here.
            return StepOutcome.failure(
                "for_each.stages is malformed: each stage needs a name and an executor",
                FailureClass.BAD_INPUT,
            )
        limit = int(settings.PLANGATE_MAX_FAN_OUT)
        if len(items) > limit:
            return StepOutcome.failure(
                f"for_each.over {over!r} is a list of {len(items)} items; "
                f"a fan-out step may have at most {limit} (PLANGATE_MAX_FAN_OUT)",
                FailureClass.BAD_INPUT,
            )
        if not items:
            return StepOutcome.success([])
        last = max((child_key(step.key, len(items) - 1, s.name) for s in stages), key=len)
        if len(last) > STEP_KEY_MAX_LENGTH:
            # Checked at submission for PLANGATE_MAX_FAN_OUT items; the limit may have grown.
            return StepOutcome.failure(
                f"the keys of its {len(items)} items would be longer than {STEP_KEY_MAX_LENGTH} "
                "characters; give the step a shorter key",
                FailureClass.BAD_INPUT,
            )
        try:
            # A savepoint: a clash with an existing key fails this step, not the whole batch.
            with transaction.atomic():
                children = _create_children(step, items, stages)
        except IntegrityError:
            return StepOutcome.failure(
                f"the keys of its items ({child_key(step.key, 0, stages[0].name)}, ...) are "
                "already taken by other steps of the plan",
                FailureClass.BAD_INPUT,
            )
        # In progress without a lease: waiting on its items, held by no worker, never reclaimed.
        step.lease_owner = ""
        step.lease_expires_at = None
        step.save(update_fields=["lease_owner", "lease_expires_at"])
        _save_events(
            plan,
            [
                _event(
                    plan,
                    EventKind.STEP_EXPANDED,
                    actor,
                    step.key,
                    {
                        "attempt": claim.attempt,
                        "items": len(items),
                        "stages": [s.name for s in stages if s.name],
                        "max_concurrency": window(step.for_each),
                        "steps": len(children),
                    },
                )
            ],
        )
        # Other workers may take the first items now.
        notify_workers(READY_PAYLOAD)
    return None


def _create_children(parent: PlanStep, items: list[Any], stages: list[Stage]) -> list[PlanStep]:
    k = window(parent.for_each)
    children = PlanStep.objects.bulk_create(
        PlanStep(
            plan_id=parent.plan_id,
            parent=parent,
            key=child_key(parent.key, i, stage.name),
            # The parent's position: items sort right after it (then by id, item by item), so a
            # worker takes an item's next stage before the stage 0 of items further on.
            position=parent.position,
            task=stage.task,
            hint=parent.hint,
            executor=stage.executor,
            params=stage.params,
            context=parent.context,
            max_attempts=stage.max_attempts,
            timeout_seconds=stage.timeout_seconds,
            item_index=i,
            stage_index=j,
            item=item if j == 0 else None,
            # The fan-out step's guardrails and quality gate check each item's run, every stage.
            guardrails=parent.guardrails,
            quality=parent.quality,
            # Stage j waits for stage j-1; stage 0 of items past the first k for a free slot.
            waiting_on=1 if j > 0 or i >= k else 0,
        )
        for i, item in enumerate(items)
        for j, stage in enumerate(stages)
    )
    Through = PlanStep.depends_on.through
    Through.objects.bulk_create(
        Through(from_planstep_id=child.pk, to_planstep_id=children[n - 1].pk)
        for n, child in enumerate(children)
        if child.stage_index
    )
    return children


# --- Children ending (called by the queue) ----------------------------------------------------


@dataclass(frozen=True)
class ChildEnd:
    """A fan-out item's step that was just recorded: its new status, result and whether its
    outcome ended the item's chain early (StepOutcome.final)."""

    step_id: int
    status: str
    result: Any = None
    final: bool = False


def children_finished(
    ended: Sequence[ChildEnd], *, plans: Mapping[UUID, Plan], actor: Actor, now: datetime
) -> None:
    """Move fan-out items on after some of their steps ended, within the caller's transaction
    and under its locks on `plans` (the plans of these steps).

    A completed stage hands its result to the item's next stage; one that completed with
    `final`, or was the last, ends the item's chain, and its remaining stages are skipped. A
    stage that failed for good ends the chain too. Each chain that ends lets the next waiting
    item start. A fan-out step whose items have all ended completes (see
    `_complete_if_done`). A step put back to pending for a retry needs nothing.
    """
    by_id = {e.step_id: e for e in ended if e.status in STEP_TERMINAL}
    if not by_id:
        return
    children = PlanStep.objects.filter(pk__in=list(by_id), parent__isnull=False).select_related(
        "parent"
    )
    events: dict[UUID, list[PlanEvent]] = defaultdict(list)
    parents: dict[int, PlanStep] = {}
    release: list[int] = []
    for child in children.order_by("pk"):
        parent, end = child.parent, by_id[child.pk]
        if parent is None:  # filtered out above; for the type checker
            continue
        parents[parent.pk] = parent
        stages = stages_of(parent)
        stage = child.stage_index or 0
        if end.status == StepStatus.COMPLETED and not end.final and stage + 1 < len(stages):
            PlanStep.objects.filter(
                parent=parent,
                item_index=child.item_index,
                stage_index=stage + 1,
                status=StepStatus.PENDING,
            ).update(item=end.result)
            continue
        if end.status == StepStatus.COMPLETED:
            reason = f"ended early by stage {stages[stage].name}"
        else:
            reason = f"item failed at stage {stages[stage].name or parent.key}"
        plan = plans[child.plan_id]
        events[plan.pk] += _skip_rest(plan, child, reason, actor=actor, now=now)
        release.append(parent.pk)
    if release:
        _release_items(release)
    for parent in parents.values():
        plan = plans[parent.plan_id]
        events[plan.pk] += _complete_if_done(parent, plan, actor=actor, now=now)
    for plan_id, plan_events in events.items():
        _save_events(plans[plan_id], plan_events)


def _skip_rest(
    plan: Plan, child: PlanStep, reason: str, *, actor: Actor, now: datetime
) -> list[PlanEvent]:
    """Skip the stages of the child's item after the child's; their step.skipped events."""
    rest = list(
        PlanStep.objects.filter(
            parent_id=child.parent_id,
            item_index=child.item_index,
            stage_index__gt=child.stage_index or 0,
            status=StepStatus.PENDING,
        ).order_by("stage_index")
    )
    if not rest:
        return []
    PlanStep.objects.filter(pk__in=[s.pk for s in rest]).update(
        status=step_transition(StepStatus.PENDING, StepStatus.SKIPPED),
        skip_reason=reason,
        finished_at=now,
    )
    return [_event(plan, EventKind.STEP_SKIPPED, actor, s.key, {"reason": reason}) for s in rest]


def _release_items(release: list[int]) -> None:
    """For each chain that ended (its fan-out step's id, once per chain), let the next waiting
    item start: the free slot goes to the lowest index still waiting, so max_concurrency items
    stay under way however long each takes."""
    released = 0
    for parent_id, ended in Counter(release).items():
        waiting = PlanStep.objects.filter(
            parent_id=parent_id, stage_index=0, status=StepStatus.PENDING, waiting_on__gt=0
        ).order_by("item_index")
        released += PlanStep.objects.filter(
            pk__in=list(waiting.values_list("pk", flat=True)[:ended])
        ).update(waiting_on=F("waiting_on") - 1)
    if released:
        notify_workers(READY_PAYLOAD)


def _complete_if_done(
    parent: PlanStep, plan: Plan, *, actor: Actor, now: datetime
) -> list[PlanEvent]:
    """Complete a fan-out step whose items have all ended; its step.completed event, if so.

    Its result lists each item's result in input order: the result of the item's last completed
    stage, or null for an item that failed; its error names the failed items. Left alone in a
    plan that is failing: end_plan_if_done stops it with the plan.
    """
    if PlanStep.objects.filter(
        parent=parent, status__in=[StepStatus.PENDING, StepStatus.IN_PROGRESS]
    ).exists():
        return []
    # While the plan needs attention the step completes as a step in flight would: its
    # dependents are released but not claimed until the plan goes on.
    if plan.status not in _RUNNING or plan.steps.filter(FAILS_PLAN).exists():
        return []
    count = 0
    results: dict[int, Any] = {}
    failed: set[int] = set()
    for index, status, result in (
        PlanStep.objects.filter(parent=parent)
        .order_by("item_index", "stage_index")
        .values_list("item_index", "status", "result")
    ):
        index = index or 0
        count = max(count, index + 1)
        if status == StepStatus.COMPLETED:
            results[index] = result
        elif status == StepStatus.FAILED:
            failed.add(index)
    result_list = [None if i in failed else results.get(i) for i in range(count)]
    failed_list = sorted(failed)
    error = ""
    if failed_list:
        error = f"{len(failed_list)} of {count} items failed: " + ", ".join(map(str, failed_list))
    done = PlanStep.objects.filter(pk=parent.pk, status=StepStatus.IN_PROGRESS).update(
        status=step_transition(StepStatus.IN_PROGRESS, StepStatus.COMPLETED),
        result=result_list,
        error=error,
        failure_class="",
        finished_at=now,
    )
    if not done:
        return []
    # The steps after it may run now.
    release_dependents([parent.pk])
    notify_workers(READY_PAYLOAD)
    return [
        _event(
            plan,
            EventKind.STEP_COMPLETED,
            actor,
            parent.key,
            {"attempt": parent.attempts, "items": count, "failed": failed_list},
        )
    ]


# --- Helpers ------------------------------------------------------------------------------------


def _event(plan: Plan, kind: str, actor: Actor, key: str, data: dict[str, Any]) -> PlanEvent:
    return PlanEvent(plan=plan, kind=kind, step_key=key, actor=actor.label, data=data)


def _save_events(plan: Plan, events: list[PlanEvent]) -> None:
    if not events:
        return
    saved = PlanEvent.objects.bulk_create(events)
    newest = max(e.pk for e in saved)
    # Announced after commit, as every change is: a page that reads the log on this nudge must
    # find the change.
    transaction.on_commit(
        partial(realtime.publish, plan_id=plan.pk, team_id=plan.team_id, event_id=newest)
    )
