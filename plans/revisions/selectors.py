"""Reads of a plan's revisions; the caller has already checked that the plan is the reader's."""

from __future__ import annotations

from django.db.models import QuerySet

from plans.models import Plan, PlanRevision
from plans.revisions.diff import PlanDiff, diff_content


def revisions_for(plan: Plan) -> QuerySet[PlanRevision]:
    """The plan's revisions, newest first."""
    return PlanRevision.objects.filter(plan=plan).order_by("-version")


def revision_get(plan: Plan, version: int) -> PlanRevision:
    """One revision; raises PlanRevision.DoesNotExist for a version the plan never had."""
    return PlanRevision.objects.get(plan=plan, version=version)


def plan_diff(plan: Plan, from_version: int, to_version: int) -> PlanDiff:
    """What changed from one version to another (either way round); raises
    PlanRevision.DoesNotExist if either version is unknown."""
    found = {
        r.version: r
        for r in PlanRevision.objects.filter(plan=plan, version__in=[from_version, to_version])
    }
    if from_version not in found or to_version not in found:
        raise PlanRevision.DoesNotExist(f"no revision {from_version} or {to_version}")
    return diff_content(
        found[from_version].content,
        found[to_version].content,
        from_version=from_version,
        to_version=to_version,
    )
