"""Which plan a page may show: one of the reviewer's teams', else a 404 (another team's plan and
a plan that does not exist look the same). And whether the reviewer may act on it: a viewer,
or anyone separation of duties keeps from this decision, is answered 403 before the form is
even read (the service checks again under the plan's lock)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from plans import selectors
from plans.access.checks import AccessDenied, check
from plans.access.rules import Action
from plans.models import Plan
from plans.services import Actor

FORBIDDEN_TEMPLATE = "plans/forbidden.html"

View = Callable[..., HttpResponse]


def plan_or_404(request: HttpRequest, plan_id: UUID) -> Plan:
    try:
        return selectors.plan_get_for_user(request.user, plan_id)
    except Plan.DoesNotExist:
        raise Http404("No such plan.") from None


def forbidden(request: HttpRequest, reason: str, *, back: str) -> HttpResponse:
    """A 403 that says why. An htmx request is sent back to `back`, which shows the reason as
    a notice (htmx swaps no 403 body, and a page half-replaced by an error page helps no one)."""
    # Not capitalised: the reason may begin with a username, which is case-sensitive.
    sentence = f"{reason}."
    if request.headers.get("HX-Request"):
        messages.error(request, sentence)
        response = HttpResponse(status=403)
        response["HX-Redirect"] = back
        return response
    return render(request, FORBIDDEN_TEMPLATE, {"reason": sentence, "back": back}, status=403)


def may(action: Action, *, back: str = "") -> Callable[[View], View]:
    """Refuse (403) a page action on a plan unless the logged-in user may do `action` to it:
    `@may(Action.APPROVE)` under `@login_required` on a view taking `plan_id`. `back` names the
    page to return to (the plan's by default)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, plan_id: UUID, *args: Any, **kwargs: Any) -> HttpResponse:
            plan = plan_or_404(request, plan_id)
            try:
                check(plan=plan, actor=Actor.for_user(request.user), action=action)
            except AccessDenied as exc:
                to = reverse(back) if back else reverse("plans:detail", kwargs={"plan_id": plan_id})
                return forbidden(request, str(exc), back=to)
            return view(request, plan_id, *args, **kwargs)

        return wrapped

    return decorator
