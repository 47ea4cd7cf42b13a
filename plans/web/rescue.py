"""The rescue box's actions: retry a failed step (optionally with edited params) or fail the
plan. Skipping the step is the page's ordinary skip form. Thin: parse the form, call one service,
render the page (or its fragments) as views.py does."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from plans import services
from plans.access.rules import Action
from plans.models import PlanStep
from plans.rescue import services as rescue
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid
from plans.web.access import may, plan_or_404
from plans.web.forms import REASON_MAX_LENGTH
from plans.web.views import HtmxHttpRequest, action_done, as_sentence, plan_page

PARAMS_MAX_LENGTH = 100_000
STALE = (
    "The plan changed since you opened it (you saw version {seen}, it is now version "
    "{current}). Look at it again before deciding."
)


class RetryForm(forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    params = forms.CharField(required=False, max_length=PARAMS_MAX_LENGTH, widget=forms.Textarea)

    def clean_params(self) -> dict[str, Any] | None:
        text = self.cleaned_data["params"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Params must be a JSON object: {...}.")
        return value


class FailForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": "Give a reason for failing the plan."},
    )


@login_required
@require_POST
@may(Action.RETRY)
def step_retry(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = RetryForm(request.POST)
    key = str(form["key"].value() or "")
    # What the reviewer typed goes back into the box with the error, to fix and send again.
    box: dict[str, Any] = {"key": key, "params": form["params"].value() or ""}
    if not form.is_valid():
        box["params_error"] = " ".join(str(e) for e in form.errors.get("params", []))
        box["error"] = "" if box["params_error"] else "Reload the page and try again."
        return plan_page(request, plan_id, status=422, rescue=box)
    try:
        rescue.step_retry(
            plan=plan,
            key=key,
            actor=services.Actor.for_user(request.user),
            version=form.cleaned_data["version"],
            params=form.cleaned_data["params"],
        )
    except PlanStep.DoesNotExist:
        raise Http404("No such step in this plan.") from None
    except PlanInvalid as exc:
        box["params_error"] = " ".join(p.msg for p in exc.problems)
        return plan_page(request, plan_id, status=422, rescue=box)
    except StaleVersion as exc:
        seen = form.cleaned_data["version"]
        box["error"] = STALE.format(seen=seen, current=exc.current_version)
        return plan_page(request, plan_id, status=409, rescue=box)
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    return action_done(request, plan_id, f"Retrying step {key}.")


@login_required
@require_POST
@may(Action.FAIL)
def plan_fail(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = FailForm(request.POST)
    box: dict[str, Any] = {"fail_reason": form["reason"].value() or ""}
    if not form.is_valid():
        box["fail_error"] = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return plan_page(request, plan_id, status=422, rescue=box)
    try:
        rescue.plan_fail(
            plan=plan,
            actor=services.Actor.for_user(request.user),
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except StaleVersion as exc:
        seen = form.cleaned_data["version"]
        box["fail_error"] = STALE.format(seen=seen, current=exc.current_version)
        return plan_page(request, plan_id, status=409, rescue=box)
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    return action_done(request, plan_id, "Failed the plan.")
