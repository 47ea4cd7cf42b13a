"""The gate box's decision on the plan page: approve a step awaiting approval, as it is or with
edited params. Its skip is the page's skip form (plans/web/views.py), its cancel the plan's."""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from plans import services
from plans.access.rules import Action
from plans.approvals.selectors import gate_quorums
from plans.approvals.services import NotAnApprover
from plans.gates.services import step_approve
from plans.models import PlanStep
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid
from plans.web.access import may, plan_or_404
from plans.web.forms import GateForm
from plans.web.gate_boxes import GateRefusal
from plans.web.views import HtmxHttpRequest, action_done, as_sentence, plan_page

STALE_MESSAGE = (
    "This plan changed since you opened it (you saw version {seen}, it is now version {current}). "
    "Look at the step again before you decide."
)


@login_required
@require_POST
@may(Action.GATE_APPROVE)
def gate_approve(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    """Approve a gate. The key travels in the body (keys may hold "/"); a form with a `params`
    field approves those params (JSON) instead of the step's."""
    plan = plan_or_404(request, plan_id)
    form = GateForm(request.POST)
    key = str(form["key"].value() or "")
    edited = "params" in request.POST
    text = str(request.POST.get("params", ""))
    if not form.is_valid():
        refusal = GateRefusal(key, error="Reload the page and decide again.")
        return plan_page(request, plan_id, status=422, gate=refusal)
    params = None
    if edited:
        try:
            params = json.loads(text)
        except ValueError as exc:
            problem = f"Params are not valid JSON: {exc}."
            refusal = GateRefusal(key, params_text=text, params_errors=[problem])
            return plan_page(request, plan_id, status=422, gate=refusal)
        if not isinstance(params, dict):
            refusal = GateRefusal(
                key, params_text=text, params_errors=["Params must be a JSON object: {...}."]
            )
            return plan_page(request, plan_id, status=422, gate=refusal)
    seen = form.cleaned_data["version"]
    try:
        step = step_approve(
            plan=plan,
            key=key,
            actor=services.Actor.for_user(request.user),
            version=seen,
            params=params,
        )
    except PlanStep.DoesNotExist:
        raise Http404("No such step in this plan.") from None
    except PlanInvalid as exc:
        refusal = GateRefusal(
            key,
            params_text=text,
            params_errors=[f"{p.msg[:1].upper()}{p.msg[1:]}." for p in exc.problems],
        )
        return plan_page(request, plan_id, status=422, gate=refusal)
    except NotAnApprover as exc:
        return plan_page(
            request, plan_id, status=403, gate=GateRefusal(key, error=as_sentence(exc))
        )
    except StaleVersion as exc:
        error = STALE_MESSAGE.format(seen=seen, current=exc.current_version)
        return plan_page(request, plan_id, status=409, gate=GateRefusal(key, error=error))
    except DomainError as exc:
        return plan_page(
            request, plan_id, status=409, gate=GateRefusal(key, error=as_sentence(exc))
        )
    if step.gate_approved_at is None:
        quorum = gate_quorums(step.plan, [step])[key]
        return action_done(
            request, plan_id, f"Your approval of step {key} is recorded: {quorum.summary}."
        )
    what = "with the params you edited" if params is not None else "as it is"
    return action_done(request, plan_id, f"Approved step {key} {what}; a worker will run it.")
