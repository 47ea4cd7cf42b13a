"""The plan page's deadline form: extend the deadline of the plan's or a gate's decision."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from plans import services
from plans.access.rules import Action
from plans.deadlines.selectors import in_words
from plans.deadlines.services import deadline_extend
from plans.models import PlanStep
from plans.states import DomainError
from plans.validation import PlanInvalid
from plans.web.access import may, plan_or_404
from plans.web.forms import REASON_MAX_LENGTH
from plans.web.views import HtmxHttpRequest, action_done, as_sentence, plan_page


class ExtendForm(forms.Form):
    step_key = forms.CharField(required=False, max_length=200)
    version = forms.IntegerField(min_value=1)
    seconds = forms.IntegerField(min_value=60, max_value=366 * 86400)
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH)


@login_required
@require_POST
@may(Action.EXTEND_DEADLINE)
def deadline_extend_view(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        return plan_page(
            request, plan_id, status=422, action_error="Choose how long to extend the deadline by."
        )
    data = form.cleaned_data
    try:
        plan = deadline_extend(
            plan=plan,
            actor=services.Actor.for_user(request.user),
            step_key=data["step_key"] or "",
            seconds=data["seconds"],
            reason=data["reason"],
            version=data["version"],
        )
    except PlanStep.DoesNotExist:
        raise Http404("No such step in this plan.") from None
    except PlanInvalid as exc:
        return plan_page(
            request, plan_id, status=422, action_error=as_sentence(ValueError(exc.problems[0].msg))
        )
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    what = f"step {data['step_key']}'s" if data["step_key"] else "the plan's"
    left = ""
    new = (
        plan.deadline_at
        if not data["step_key"]
        else plan.steps.get(key=data["step_key"]).deadline_at
    )
    if new is not None:
        left = f": decide within {in_words((new - timezone.now()).total_seconds())}"
    return action_done(request, plan_id, f"Extended {what} deadline{left}.")
