"""Supplying a plan's inputs: checked against their schemas, then a new revision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from plans import services
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.bindings.flow import supplied_problems
from plans.catalog.selectors import plan_input_uses
from plans.models import Plan, PlanRevision
from plans.revisions.services import REVISABLE, RevisionDraft, plan_revise, step_drafts
from plans.services import Actor
from plans.states import InvalidTransition, StaleVersion
from plans.validation import Loc, PlanInvalid, Problem


@transaction.atomic
def plan_inputs_supply(
    *,
    plan: Plan,
    actor: Actor,
    version: int,
    values: Mapping[str, Any],
    at: Loc = ("values",),
) -> PlanRevision:
    """Set plan inputs (over those it has) as a new revision of the plan, made through
    plan_revise, so versions, diffs and the team's policy apply as to any revision.

    Raises PlanInvalid (every problem, each at `at` + the input's name) for an input no step
    uses or a value that does not fit its schema, StaleVersion if `version` is not the plan's,
    InvalidTransition once the plan is past review, and what plan_revise raises.
    """
    # The plan lock first, as every service takes it: the checks below read the version that
    # the revision will replace, and no other change can come in between.
    plan = services._lock(plan)
    access_check(plan=plan, actor=actor, action=Action.REVISE)
    if plan.status not in REVISABLE:
        raise InvalidTransition(f"cannot supply inputs to a plan that is {plan.status}")
    if version != plan.version:
        raise StaleVersion(
            f"the plan is at version {plan.version}, not {version}; "
            f"look at version {plan.version} and supply its inputs",
            current_version=plan.version,
        )
    problems = (
        [Problem(at, "give at least one input")]
        if not values
        else supplied_problems(plan_input_uses(plan), values, at)
    )
    if problems:
        raise PlanInvalid(problems)
    content = plan.revisions.get(version=plan.version).content
    names = ", ".join(values)
    return plan_revise(
        plan=plan,
        actor=actor,
        draft=RevisionDraft(
            base_version=version,
            steps=None if content.get("delegation") else step_drafts(content),
            delegation=content.get("delegation"),
            inputs={**(plan.inputs or {}), **values},
            comment=f"inputs supplied: {names}",
        ),
    )
