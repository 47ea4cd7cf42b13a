"""Which plan a page may show: one of the reviewer's teams', else a 404 (another team's plan and
a plan that does not exist look the same)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest

from plans import selectors
from plans.models import Plan


def plan_or_404(request: HttpRequest, plan_id: UUID) -> Plan:
    try:
        return selectors.plan_get_for_user(request.user, plan_id)
    except Plan.DoesNotExist:
        raise Http404("No such plan.") from None
