"""Reviewer pages: the plan list and detail, the review actions and the live-update fragments.

Each view parses a form, calls one selector or service, and renders fragments of the page
template. A plain request gets the whole page (an action redirects back to it: post/redirect/get);
an htmx request gets the same fragments as out-of-band swaps. A refused action answers 409 and an
invalid form 422, with the fragments that say why; static/plangate/live.js tells htmx to swap
those responses too (by default it drops 4xx bodies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from plans import selectors, services
from plans.access.checks import duty_refusal
from plans.access.rules import Action
from plans.approvals import selectors as approval_selectors
from plans.approvals.services import NotAnApprover
from plans.catalog import selectors as catalog_selectors
from plans.discussion import selectors as discussion
from plans.guardrails import selectors as guardrail_selectors
from plans.models import CircuitState, EventKind, Plan, PlanComment, PlanStep
from plans.rescue import selectors as rescue_selectors
from plans.revisions.services import REVISABLE
from plans.states import (
    PLAN_STATUSES_ALLOWING_SKIP,
    DomainError,
    PlanStatus,
    StaleVersion,
    StepStatus,
)
from plans.web.access import may, plan_or_404
from plans.web.discussion_forms import CommentForm, RequestChangesForm
from plans.web.forms import ApproveForm, CancelForm, PlanFilterForm, SkipForm
from plans.web.gate_boxes import GateBox, GateRefusal, gate_boxes
from plans.web.graph import plan_graph
from plans.web.revisions import page_context
from plans.web.spec import StepSpec, step_spec
from plans.web.step_pages import DEPENDENTS_LISTED, GRAPH_STEPS, steps_page
from plans.web.templatetags.plan_tags import step_dom_id

LIST_TEMPLATE = "plans/plan_list.html"
DETAIL_TEMPLATE = "plans/plan_detail.html"
PLANS_PER_PAGE = 50
EVENTS_SHOWN = 50
# A live fetch behind by more events than this re-renders every step row.
LIVE_EVENTS_LIMIT = 200
STALE_MESSAGE = (
    "This plan changed since you opened it (you saw version {seen}, it is now version {current}). "
    "Review it again before approving."
)
# Events that move a plan on: a notice about an earlier action ("Approved; a worker will run
# it") is out of date once one of them has happened, and a live update takes it away. Not the
# approval or cancellation itself: a nudge about it may be fetched just after the notice it made.
PLAN_MOVED_ON = frozenset({EventKind.PLAN_STARTED, EventKind.PLAN_COMPLETED, EventKind.PLAN_FAILED})


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Progress:
    """How far a plan's steps have come; completed, skipped and failed steps are done."""

    total: int
    completed: int
    skipped: int
    failed: int
    in_progress: int

    @classmethod
    def of(cls, steps: list[PlanStep]) -> Progress:
        statuses = [s.status for s in steps]
        return cls(
            total=len(statuses),
            completed=statuses.count(StepStatus.COMPLETED),
            skipped=statuses.count(StepStatus.SKIPPED),
            failed=statuses.count(StepStatus.FAILED),
            in_progress=statuses.count(StepStatus.IN_PROGRESS),
        )

    @property
    def done(self) -> int:
        return self.completed + self.skipped + self.failed

    @property
    def pending(self) -> int:
        return self.total - self.done - self.in_progress

    def percent(self, count: int) -> int:
        return 100 * count // self.total if self.total else 0

    @property
    def segments(self) -> list[tuple[str, int, int]]:
        """The bar's parts, left to right: (status, where it starts, its width), in percent.

        Each part ends where the steps counted so far end, rounded down: the parts then add up
        to the share of steps done or running (all of it when every step is done), where
        rounding each part down on its own would leave a plan of three done steps at 99%."""
        counts = {
            "completed": self.completed,
            "skipped": self.skipped,
            "failed": self.failed,
            "in_progress": self.in_progress,
        }
        start, counted, parts = 0, 0, []
        for status, count in counts.items():
            counted += count
            end = self.percent(counted)
            parts.append((status, start, end - start))
            start = end
        return parts


@dataclass(frozen=True)
class StepRow:
    """A step as its row shows it, with the skip form when a reviewer may skip it now."""

    step: PlanStep
    can_skip: bool
    dependents: list[str]
    form: SkipForm
    # Steps depending on it beyond those in `dependents` (a paged plan lists DEPENDENTS_LISTED).
    dependents_more: int = 0
    # What its dependents would still wait for were it skipped (what it waits for itself).
    still_waited_for: list[str] = field(default_factory=list)
    error: str = ""
    # Pending, ready, and its executor's circuit is open: it waits for the executor.
    paused: bool = False
    # A fan-out step's items, shown under its row.
    items: selectors.ItemTable | None = None
    # A step awaiting approval: its inputs, params and decision forms (plans/web/gate_boxes.py).
    gate: GateBox | None = None
    # What it runs: executor, params, limits, inputs, stages.
    spec: StepSpec | None = None
    # The discussion's comments on this step, oldest first.
    comments: list[PlanComment] = field(default_factory=list)
    # A gated step's approvals against its quorum, and whether the viewer is among them.
    quorum: approval_selectors.Quorum | None = None
    approved_by_me: bool = False


# --- Pages --------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def plan_list(request: HtmxHttpRequest) -> HttpResponse:
    form = PlanFilterForm(request.GET)
    filters = form.filters()
    # Read the log position before the plans: a change committing in between is then newer than
    # what the page says it shows, so the next nudge fetches it instead of it being missed.
    last_event_id = selectors.latest_event_id_for_user(request.user)
    plans = selectors.plan_list_for_user(request.user, **filters)
    page = Paginator(plans, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    # The steps of the plans on this page only are counted.
    page.object_list = selectors.attach_step_counts(list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "filter_query": urlencode(filters),
        "last_event_id": last_event_id,
    }
    if request.htmx:
        response = render(request, f"{LIST_TEMPLATE}#live", {**context, "oob": True})
    else:
        response = render(request, LIST_TEMPLATE, context)
    # One URL, two bodies: a cache must never answer a full page load with the fragment.
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache
@login_required
@require_GET
def plan_detail(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    """The plan page; `?step=<key>` sends the reviewer to the page of rows holding that step, at
    its row (a fan-out item's: at its step's)."""
    key = request.GET.get("step")
    if key is not None:
        return _to_step(request, plan_id, key)
    return plan_page(request, plan_id, fragments=False)


def _to_step(request: HtmxHttpRequest, plan_id: UUID, key: str) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    steps = list(plan.steps.all())
    holder = selectors.step_row_key(plan, key)
    url = reverse("plans:detail", args=[plan.pk])
    page = steps_page(steps, request.GET)
    if holder is None:
        messages.error(request, f"This plan has no step {key}.")
        return redirect(f"{url}{page.query(1)}")
    number = page.page_of.get(holder, 1)
    return redirect(f"{url}{page.query(number)}#{step_dom_id(holder)}")


@never_cache
@login_required
@require_GET
def plan_live(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    """The page's fragments as out-of-band swaps, for a page told that the plan changed.

    `after` is the last event the page has rendered; only the step rows those later events touch
    are sent, unless a plan-level event may have changed them all.
    """
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    # The version the page was opened at: its approve button stays bound to it, whatever the
    # plan has become since (the page then says what changed instead).
    try:
        seen: int | None = int(request.GET.get("seen", ""))
    except ValueError:
        seen = None
    return plan_page(request, plan_id, fragments=True, after=after, seen=seen)


# --- Actions ------------------------------------------------------------------------------------


@login_required
@require_POST
@may(Action.APPROVE)
def plan_approve(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return plan_page(
            request, plan_id, status=422, action_error="Reload the page and approve again."
        )
    seen = form.cleaned_data["version"]
    try:
        approved = services.plan_approve(
            plan=plan, actor=services.Actor.for_user(request.user), version=seen
        )
    except NotAnApprover as exc:
        return plan_page(request, plan_id, status=403, action_error=as_sentence(exc))
    except StaleVersion as exc:
        error = STALE_MESSAGE.format(seen=seen, current=exc.current_version)
        # A whole page shows the new version in full; fragments swapped into the open page keep
        # its button on the version it showed, and say what changed.
        return plan_page(
            request, plan_id, status=409, action_error=error, seen=seen if request.htmx else None
        )
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    if approved.approved_at is None:
        quorum = approval_selectors.plan_quorum(approved)
        return action_done(
            request, plan_id, f"Your approval of version {seen} is recorded: {quorum.summary}."
        )
    return action_done(request, plan_id, f"Approved version {seen}; a worker will run it.")


@login_required
@require_POST
@may(Action.CANCEL)
def plan_cancel(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return plan_page(request, plan_id, status=422, cancel_form=form)
    try:
        services.plan_cancel(
            plan=plan,
            actor=services.Actor.for_user(request.user),
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    return action_done(request, plan_id, "Cancelled the plan.")


@login_required
@require_POST
@may(Action.SKIP)
def step_skip(request: HtmxHttpRequest, plan_id: UUID, key: str = "") -> HttpResponse:
    """Skip a step. The pages post the key in the form (keys may hold "/" or be ".."), the
    plans:skip route has it in the path."""
    plan = plan_or_404(request, plan_id)
    form = SkipForm(request.POST)
    key = key or str(form["key"].value() or "")
    if not form.is_valid():
        return plan_page(request, plan_id, status=422, skip=(key, form, ""))
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
        return plan_page(request, plan_id, status=409, skip=(key, form, as_sentence(exc)))
    return action_done(request, plan_id, f"Skipped step {key}.")


# --- Helpers ------------------------------------------------------------------------------------


def as_sentence(exc: Exception) -> str:
    text = str(exc)
    return f"{text[:1].upper()}{text[1:]}."


def action_done(request: HtmxHttpRequest, plan_id: UUID, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return plan_page(request, plan_id)
    # Back to the page of rows the form was sent from.
    shown = {k: v for k, v in _shown_query(request, plan_id).items() if k in {"page", "graph"}}
    url = reverse("plans:detail", args=[plan_id])
    return redirect(f"{url}?{urlencode(shown)}" if shown else url)


def plan_page(
    request: HtmxHttpRequest,
    plan_id: UUID,
    *,
    fragments: bool | None = None,
    status: int = 200,
    after: int | None = None,
    action_error: str = "",
    cancel_form: CancelForm | None = None,
    skip: tuple[str, SkipForm, str] | None = None,
    gate: GateRefusal | None = None,
    seen: int | None = None,
    extra: dict[str, Any] | None = None,
    rescue: dict[str, Any] | None = None,
) -> HttpResponse:
    """The plan page as it is now: whole, or its fragments for out-of-band swaps (by default
    for htmx requests). `skip` is (key, bound form, error) of a refused skip, shown in its row;
    `extra` overrides the context (a refused form, bound, to show again)."""
    # Log position first, as in plan_list.
    last_event_id = selectors.latest_event_id(plan_id)
    plan = plan_or_404(request, plan_id)
    steps = list(plan.steps.all())
    # The rows shown: a big plan's page of them (plans/web/step_pages.py); the rest of the page
    # (progress, the picture, the header) still covers the whole plan.
    page = steps_page(steps, _shown_query(request, plan_id))
    shown = page.steps
    # What each step's guardrails found, shown in its row (one query for the plan).
    guardrail_selectors.attach(plan, shown)
    skippable = plan.status in PLAN_STATUSES_ALLOWING_SKIP
    listed = DEPENDENTS_LISTED if page.paged else None
    dependents = (
        selectors.dependents_by_key(steps, only=[s.key for s in shown], limit=listed)
        if skippable
        else {}
    )
    dependent_counts = selectors.dependent_counts(steps) if skippable and page.paged else {}
    still_waited_for = selectors.still_waited_for_by_key(steps) if skippable else {}
    skip_key, skip_form, skip_error = skip or ("", None, "")
    gates = gate_boxes(steps, gate)
    if gate is not None and gate.key not in gates:
        # The step no longer waits at its gate (another decision came first): no box to say so.
        action_error = action_error or gate.error
    # Circuits matter while steps may still run; a finished plan waits for nothing.
    plan_circuits = (
        []
        if plan.is_terminal
        else selectors.circuits_for(plan.team_id, selectors.executors_used(plan))
    )
    paused: set[str] = set()
    if plan.status in {PlanStatus.APPROVED, PlanStatus.EXECUTING}:
        paused = {c.executor for c in plan_circuits if c.state == CircuitState.OPEN}
    me = f"user:{request.user.get_username()}"
    gate_quorums = approval_selectors.gate_quorums(plan, steps)
    comments = discussion.comments_for_plan(plan)
    comments_by_step: dict[str, list[PlanComment]] = {}
    for comment in comments:
        if comment.step_key:
            comments_by_step.setdefault(comment.step_key, []).append(comment)
    # One empty form for every row: unbound, it is only read.
    blank_skip = SkipForm()
    rows = [
        StepRow(
            step=s,
            can_skip=skippable and s.status == StepStatus.PENDING,
            dependents=dependents.get(s.key, []),
            dependents_more=(
                dependent_counts[s.key] - len(dependents[s.key]) if s.key in dependent_counts else 0
            ),
            still_waited_for=still_waited_for.get(s.key, []),
            form=skip_form if skip_form is not None and s.key == skip_key else blank_skip,
            error=skip_error if s.key == skip_key else "",
            paused=s.executor in paused and s.status == StepStatus.PENDING and not s.waiting_on,
            items=selectors.item_table(s) if s.for_each is not None else None,
            gate=gates.get(s.key),
            spec=step_spec(s),
            comments=comments_by_step.get(s.key, []),
            quorum=gate_quorums.get(s.key),
            approved_by_me=s.key in gate_quorums and gate_quorums[s.key].has(me),
        )
        for s in shown
    ]
    if fragments is None:
        fragments = bool(request.htmx)
    events = selectors.events_latest(plan, EVENTS_SHOWN)
    live_rows, moved_on = rows, False
    if after is not None:
        live_rows, moved_on = _rows_changed(plan, rows, after, plan_circuits)
    context: dict[str, Any] = {
        "plan": plan,
        "rows": rows,
        "live_rows": live_rows,
        # Redraw the notices (as none, on a live fetch) once the plan has moved on past them.
        "clear_messages": moved_on,
        "progress": Progress.of(steps),
        # Steps waiting at their gate, named in the plan's header.
        "awaiting": [s.key for s in steps if s.key in gates],
        "steps_page": page,
        "graph": plan_graph(steps) if len(steps) <= GRAPH_STEPS or page.graph else None,
        # Reversed once for the page, not in each row.
        "skip_url": reverse("plans:skip_step", args=[plan.pk]),
        "comment_url": reverse("plans:comment", args=[plan.pk]),
        # Every actor the page names, named as the event log names them (plans/actors.py).
        "tokens": selectors.token_names_for_team(plan.team_id),
        "approver": selectors.plan_approver(plan),
        # Circuits that are not closed: the page says which executors its steps wait for.
        "circuits": [c for c in plan_circuits if c.state != CircuitState.CLOSED],
        "artifacts": list(plan.artifacts.all()),
        "events": events,
        "events_shown": EVENTS_SHOWN,
        "last_event_id": last_event_id,
        "action_error": action_error,
        "cancel_form": cancel_form or CancelForm(),
        # A plan that needs attention: the failed steps to decide on, and what a refused
        # decision sent (plans/web/rescue.py).
        "rescue_steps": rescue_selectors.steps_awaiting_rescue(plan),
        "rescue": rescue or {},
        "oob": fragments,
        **page_context(plan, seen),
        "comments": comments,
        "change_request": discussion.latest_change_request(plan),
        "comment_form": CommentForm(),
        # A field for each step shown (the view reads them for every step of the plan).
        "changes_form": RequestChangesForm(step_keys=[s.key for s in shown]),
        # Plan inputs its steps still need (plans/catalog/): approval waits for them.
        "missing_inputs": (
            catalog_selectors.plan_missing_inputs(plan, steps) if plan.status in REVISABLE else []
        ),
        **(extra or {}),
    }
    # The approvals of the version on screen: its approve button is bound to that version.
    quorum = approval_selectors.plan_quorum(plan, version=context["seen_version"])
    context |= {"quorum": quorum, "approved_by_me": quorum.has(me), "approve_refusal": ""}
    if plan.status == PlanStatus.DRAFT and plan.team.separate_duties:
        # Say before the click why this reviewer's approval would be refused.
        context["approve_refusal"] = duty_refusal(
            plan=plan, user=request.user, action=Action.APPROVE
        )
    template = f"{DETAIL_TEMPLATE}#live" if fragments else DETAIL_TEMPLATE
    return render(request, template, context, status=status)


def _shown_query(request: HtmxHttpRequest, plan_id: UUID) -> QueryDict:
    """What says which page of rows to render: the request's query (a page, its live fetches),
    or for an action sent from the plan page, that page's (htmx names it, a plain form post has
    it as its Referer): its answer then shows the rows the reviewer had in front of them."""
    current = request.htmx.current_url if request.htmx else request.headers.get("Referer")
    if request.method == "GET" or not current:
        return request.GET
    parts = urlsplit(current)
    if parts.path != reverse("plans:detail", args=[plan_id]):
        return request.GET
    return QueryDict(parts.query)


def _rows_changed(
    plan: Plan, rows: list[StepRow], after: int, plan_circuits: list[selectors.Circuit]
) -> tuple[list[StepRow], bool]:
    """The rows events after `after` may have changed: those of the steps they name, or all
    rows if one of them is about the plan as a whole (a cancel or failure skips steps, a status
    change shows or hides skip forms). Also the pending steps of an executor whose circuit is
    open or changed since: that changes their row, with no event of this plan saying so.
    And whether the plan has moved on since (PLAN_MOVED_ON)."""
    events = selectors.events_after(plan, after, limit=LIVE_EVENTS_LIMIT)
    keys = {e.step_key for e in events}
    moved_on = any(e.kind in PLAN_MOVED_ON for e in events)
    # A comment on the plan as a whole changes the discussion, not the rows.
    keys = {e.step_key for e in events if e.step_key or e.kind != EventKind.COMMENT_ADDED}
    if after == 0 or "" in keys or len(events) == LIVE_EVENTS_LIMIT:
        return rows, moved_on
    # The page was rendered after its last event was written: a circuit that changed before
    # that is drawn on it already.
    shown_at = selectors.event_time(after) if plan_circuits else None
    touched = {
        c.executor
        for c in plan_circuits
        if c.state != CircuitState.CLOSED
        or (c.changed_at and (shown_at is None or c.changed_at >= shown_at))
    }
    keys |= {
        r.step.key
        for r in rows
        if r.step.status == StepStatus.PENDING and r.step.executor in touched
    }
    # An item's events change its fan-out step's row, where the items are shown.
    changed = [
        r
        for r in rows
        if r.step.key in keys
        or (r.items is not None and any(s.key in keys for i in r.items.rows for s in i.steps))
    ]
    return changed, moved_on
