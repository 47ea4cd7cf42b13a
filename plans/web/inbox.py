"""The reviewer's inbox page: what waits for their decision, batch approval, and the actions
each item offers (approve, cancel, skip a gate), all plain forms that redirect back here.

A live nudge does not redraw the list under the reviewer: checkboxes and the versions they
approve stay as they were seen. It updates the top bar's count and says that the inbox changed
(`seen` in the live URL is a fingerprint of the items the page shows).
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from plans import selectors, services
from plans.access import selectors as access_selectors
from plans.access.rules import Action
from plans.approvals.selectors import quorums_for_items
from plans.inbox import selectors as inbox_selectors
from plans.inbox import services as inbox_services
from plans.models import PlanStep, Role
from plans.states import DomainError
from plans.web.access import forbidden, may, plan_or_404
from plans.web.forms import CancelForm, SkipForm

TEMPLATE = "plans/inbox.html"
# The most items one batch form approves.
MAX_BATCH = 100


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _fingerprint(items: list[inbox_selectors.InboxItem]) -> str:
    text = "|".join(sorted(f"{i.key}@{i.version}" for i in items))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@never_cache
@login_required
@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    # Log position first, as on the plan list: a change committing meanwhile nudges again.
    last_event_id = selectors.latest_event_id_for_user(request.user)
    items = inbox_selectors.inbox_for_user(request.user)
    fingerprint = _fingerprint(items)
    context = {"last_event_id": last_event_id, "fingerprint": fingerprint}
    if request.htmx:
        seen = request.GET.get("seen", "")
        context.update(oob=True, changed=bool(seen) and seen != fingerprint, waiting=len(items))
        response = render(request, f"{TEMPLATE}#live", context)
    else:
        now = timezone.now()
        quorums = quorums_for_items(
            (i.plan_id, i.step_key, i.version) for i in items if i.kind != "needs_attention"
        )
        me = f"user:{request.user.get_username()}"
        context.update(
            rows=[
                (
                    i,
                    inbox_selectors.waited_label(i.waited(now)),
                    quorum := quorums.get((str(i.plan_id), i.step_key)),
                    quorum is not None and quorum.has(me),
                )
                for i in items
            ],
            # Apart from the rows, with no decision to take: they wait for their integration.
            waiting_for_agent=[
                (i, inbox_selectors.waited_label(i.waited(now)))
                for i in inbox_selectors.waiting_for_agent_for_user(request.user)
            ],
            # The quorums' approvers, named as the plan page names them.
            tokens=selectors.token_names_for_user(request.user),
            max_batch=MAX_BATCH,
        )
        response = render(request, TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache
@login_required
@require_GET
def inbox_count(request: HttpRequest) -> HttpResponse:
    """The top bar's count alone, out of band, for a page told that it may have changed."""
    return render(request, "plans/includes/inbox_count.html", {"oob": True})


@login_required
@require_POST
def inbox_approve(request: HttpRequest) -> HttpResponse:
    """Approve the posted items, each `<plan id>:<version>` (a plan) or
    `<plan id>:<version>:<step key>` (a gate) as the page showed it."""
    if not access_selectors.team_ids_with_role(request.user, Role.REVIEWER):
        # Each plan's service refuses a viewer anyway; one who may decide nowhere is told once.
        name = request.user.get_username()
        return forbidden(
            request,
            f"{name} is a viewer in each of their teams; approving needs reviewer",
            back=reverse("plans:inbox"),
        )
    items = []
    for value in request.POST.getlist("item")[:MAX_BATCH]:
        plan_id, _, rest = value.partition(":")
        version, _, key = rest.partition(":")
        try:
            items.append(inbox_services.Approval(UUID(plan_id), int(version), key))
        except ValueError:
            continue
    if not items:
        messages.error(request, "Select the plans to approve first.")
        return redirect("plans:inbox")
    results = inbox_services.inbox_approve(
        team_ids=selectors.teams_for_user(request.user).values_list("id", flat=True),
        actor=services.Actor.for_user(request.user),
        items=items,
    )
    # A plan still a draft after an approval needs more approvals: say so rather than "approved".
    counted = [r for r in results if r.approved and not r.step_key and r.status == "draft"]
    if counted:
        titles = ", ".join(r.title for r in counted)
        messages.success(request, f"Your approval is recorded; more are needed: {titles}.")
    approved = [r for r in results if r.approved and r not in counted]
    if approved:
        titles = ", ".join(r.title for r in approved)
        plural = "s" if len(approved) != 1 else ""
        messages.success(request, f"Approved {len(approved)} plan{plural}: {titles}.")
    for r in results:
        if r.reason == inbox_services.Reason.NOT_FOUND:
            messages.error(request, "Not approved: a plan that is not in your teams' inbox.")
        elif r.reason == inbox_services.Reason.STALE:
            messages.error(request, f"Not approved: {r.title} {r.detail}.")
        elif not r.approved:
            messages.error(request, f"Not approved: {r.title}: {r.detail}.")
    return redirect("plans:inbox")


@login_required
@require_POST
@may(Action.CANCEL, back="plans:inbox")
def inbox_cancel(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.plan_cancel(plan=plan, actor=services.Actor.for_user(request.user), reason=reason)
    except DomainError as exc:
        messages.error(request, f"Not cancelled: {plan.display_title}: {exc}.")
    else:
        messages.success(request, f"Cancelled {plan.display_title}.")
    return redirect("plans:inbox")


@login_required
@require_POST
@may(Action.SKIP, back="plans:inbox")
def inbox_skip(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """Skip a gated step, with a reason."""
    plan = plan_or_404(request, plan_id)
    form = SkipForm(request.POST)
    key = str(form["key"].value() or "")
    if not form.is_valid():
        messages.error(request, f"Not skipped: give a reason for skipping step {key}.")
        return redirect("plans:inbox")
    try:
        services.step_skip(
            plan=plan,
            key=key,
            actor=services.Actor.for_user(request.user),
            reason=form.cleaned_data["reason"],
        )
    except PlanStep.DoesNotExist:
        raise Http404("No such step in this plan.") from None
    except DomainError as exc:
        messages.error(request, f"Not skipped: {exc}.")
    else:
        messages.success(request, f"Skipped step {key} of {plan.display_title}.")
    return redirect("plans:inbox")
