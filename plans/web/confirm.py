"""Confirmation pages for the links in notification emails.

A link in an email must never act by itself: mail scanners and link previews open links. The
GET shows the plan as it is and a form; only its POST (CSRF-protected, by a logged-in member)
approves or cancels, bound to the version the email announced.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from plans import services
from plans.access.checks import AccessDenied
from plans.models import DecisionSource, Plan
from plans.states import DomainError, PlanStatus, StaleVersion
from plans.web.access import forbidden, plan_or_404
from plans.web.forms import REASON_MAX_LENGTH
from plans.web.views import as_sentence

ACTIONS = ("approve", "cancel")
TEMPLATE = "plans/confirm.html"
STALE_MESSAGE = (
    "This plan changed since the email was sent (it announced version {seen}, it is now version "
    "{current}). Review it on its page before you decide."
)


class ConfirmForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH, widget=forms.Textarea)


def _version(request: HttpRequest) -> int | None:
    try:
        version = int(str(request.GET.get("version", "")))
    except ValueError:
        return None
    return version if version > 0 else None


def _page(
    request: HttpRequest, plan: Plan, action: str, version: int | None, **extra: Any
) -> HttpResponse:
    status = extra.pop("status", 200)
    stale = version is not None and version != plan.version
    context = {
        "plan": plan,
        "action": action,
        "version": version,
        "stale": stale,
        "steps": list(plan.steps.filter(parent=None).order_by("position", "pk")),
        "can_act": version is not None
        and not stale
        and (plan.status == PlanStatus.DRAFT if action == "approve" else not plan.is_terminal),
        **extra,
    }
    return render(request, TEMPLATE, context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def plan_confirm(request: HttpRequest, plan_id: UUID, action: str) -> HttpResponse:
    """GET: the plan's summary and a form to confirm `action` on the version in the link.
    POST: do it, as an email decision."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    plan = plan_or_404(request, plan_id)
    if request.method == "GET":
        return _page(request, plan, action, _version(request))
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _page(
            request,
            plan,
            action,
            _version(request),
            status=422,
            error="Open the link from the email again and confirm.",
        )
    version = form.cleaned_data["version"]
    actor = services.Actor.for_user(request.user, source=DecisionSource.EMAIL)
    try:
        if action == "approve":
            services.plan_approve(plan=plan, actor=actor, version=version)
        else:
            if version != plan.version:
                # Cancelling is not bound to a version in the service; the email's link is.
                raise StaleVersion("changed", current_version=plan.version)
            services.plan_cancel(plan=plan, actor=actor, reason=form.cleaned_data["reason"])
    except StaleVersion as exc:
        plan.refresh_from_db()
        error = STALE_MESSAGE.format(seen=version, current=exc.current_version)
        return _page(request, plan, action, version, status=409, error=error)
    except AccessDenied as exc:
        return forbidden(
            request, str(exc), back=reverse("plans:detail", kwargs={"plan_id": plan.pk})
        )
    except DomainError as exc:
        plan.refresh_from_db()
        return _page(request, plan, action, version, status=409, error=as_sentence(exc))
    if action == "approve":
        messages.success(request, f"Approved version {version}; a worker will run it.")
    else:
        messages.success(request, "Cancelled the plan.")
    return redirect("plans:detail", plan_id=plan.pk)
