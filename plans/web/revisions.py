"""Reviewer pages for revisions: edit a plan without JavaScript, compare two versions, and what
the plan page shows when the plan changed under it.

Saving an edit calls the same revision service as the API, bound to the version the form was
rendered from: a save over a newer version is refused (409) and shows what changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from executors import registry
from plans.access.rules import Action
from plans.models import Plan, PlanRevision
from plans.revisions import selectors as revision_selectors
from plans.revisions.diff import PlanDiff
from plans.revisions.services import REVISABLE, RevisionDraft, plan_revise, step_drafts
from plans.services import Actor
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid, StepDraft
from plans.web.access import may, plan_or_404

EDIT_TEMPLATE = "plans/plan_edit.html"
DIFF_TEMPLATE = "plans/plan_diff.html"
# Fields of a step the edit page changes; the others are kept from the version it was opened at.
EDITED_FIELDS = ("task", "hint", "executor", "params", "depends_on")


@dataclass
class StepForm:
    """One step's part of the edit form, as rendered or as posted."""

    index: int
    key: str
    title: str
    task: str
    hint: str
    executor: str
    params: str
    depends_on: list[str]
    remove: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class EditForm:
    base_version: int
    title: str
    goal: str
    comment: str
    steps: list[StepForm]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(s.errors for s in self.steps)


def _revision_or_404(plan: Plan, version: int) -> PlanRevision:
    try:
        return revision_selectors.revision_get(plan, version)
    except PlanRevision.DoesNotExist:
        raise Http404("No such version of this plan.") from None


def _form_from_content(version: int, content: dict[str, Any]) -> EditForm:
    return EditForm(
        base_version=version,
        title=content["title"],
        goal=content["goal"],
        comment="",
        steps=[
            StepForm(
                index=i,
                key=s["key"],
                title=s.get("title", ""),
                task=s["task"],
                hint=s.get("hint", ""),
                executor=s["executor"],
                params=json.dumps(s.get("params") or {}, indent=2, ensure_ascii=False),
                depends_on=list(s.get("depends_on") or []),
            )
            for i, s in enumerate(content["steps"])
        ],
    )


def _form_from_post(request: HttpRequest, base: dict[str, Any], base_version: int) -> EditForm:
    post = request.POST
    steps = []
    for i, s in enumerate(base["steps"]):
        prefix = f"steps-{i}-"
        steps.append(
            StepForm(
                index=i,
                key=s["key"],
                title=s.get("title", ""),
                task=post.get(prefix + "task", ""),
                hint=post.get(prefix + "hint", ""),
                executor=post.get(prefix + "executor", ""),
                params=post.get(prefix + "params", ""),
                depends_on=post.getlist(prefix + "depends_on"),
                remove=bool(post.get(prefix + "remove")),
            )
        )
    return EditForm(
        base_version=base_version,
        title=post.get("title", ""),
        goal=post.get("goal", ""),
        comment=post.get("comment", ""),
        steps=steps,
    )


def _parse_params(form: StepForm) -> dict[str, Any] | None:
    try:
        value = json.loads(form.params or "{}")
    except ValueError as exc:
        form.errors.setdefault("params", []).append(f"Not valid JSON: {exc}.")
        return None
    if not isinstance(value, dict):
        form.errors.setdefault("params", []).append("Params must be a JSON object: {...}.")
        return None
    return value


def _drafts(form: EditForm, base: dict[str, Any]) -> tuple[list[StepDraft], dict[int, int]]:
    """The steps to save (the base version's, with the edited fields replaced) and, for each
    saved step's position, its form's index (to show a problem next to the right field)."""
    drafts: list[StepDraft] = []
    where: dict[int, int] = {}
    for draft, step in zip(step_drafts(base), form.steps, strict=True):
        params = _parse_params(step)
        if step.remove:
            continue
        where[len(drafts)] = step.index
        draft.task, draft.hint, draft.executor = step.task, step.hint, step.executor
        draft.params = params if params is not None else {}
        draft.depends_on = step.depends_on
        draft.loc = ("steps", len(drafts))
        drafts.append(draft)
    return drafts, where


def _show_problems(form: EditForm, problems: PlanInvalid, where: dict[int, int]) -> None:
    for problem in problems.problems:
        loc = problem.loc
        if len(loc) >= 3 and loc[0] == "steps" and isinstance(loc[1], int) and loc[1] in where:
            name = str(loc[2])
            step = form.steps[where[loc[1]]]
            step.errors.setdefault(name if name in EDITED_FIELDS else "step", []).append(
                problem.msg
            )
        else:
            form.errors.setdefault(str(loc[0]) if loc else "plan", []).append(problem.msg)


def _edit_page(
    request: HttpRequest,
    plan: Plan,
    form: EditForm,
    *,
    status: int = 200,
    error: str = "",
    diff: PlanDiff | None = None,
) -> HttpResponse:
    context = {
        "plan": plan,
        "form": form,
        "keys": [s.key for s in form.steps],
        "executors": registry.names(),
        "editable": plan.status in REVISABLE,
        "error": error,
        "diff": diff,
    }
    return render(request, EDIT_TEMPLATE, context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@may(Action.REVISE)
def plan_edit(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """The plan's content as a form; saving it makes the next revision."""
    plan = plan_or_404(request, plan_id)
    if request.method == "GET":
        base = _revision_or_404(plan, plan.version)
        return _edit_page(request, plan, _form_from_content(base.version, base.content))
    try:
        base_version = int(request.POST.get("base_version", ""))
    except ValueError:
        base_version = 0
    if base_version < 1 or base_version > plan.version:
        # Not a version this plan had: a form from nowhere. Start from the current one.
        base = _revision_or_404(plan, plan.version)
        form = _form_from_content(base.version, base.content)
        return _edit_page(request, plan, form, status=422, error="Reload the form and edit again.")
    base = _revision_or_404(plan, base_version)
    form = _form_from_post(request, base.content, base_version)
    drafts, where = _drafts(form, base.content)
    if form.has_errors:
        return _edit_page(request, plan, form, status=422, error="Fix the marked fields.")
    draft = RevisionDraft(
        base_version=base_version,
        steps=drafts,
        title=form.title,
        goal=form.goal,
        comment=form.comment,
    )
    try:
        revision = plan_revise(plan=plan, actor=Actor.for_user(request.user), draft=draft)
    except PlanInvalid as exc:
        _show_problems(form, exc, where)
        return _edit_page(request, plan, form, status=422, error="Fix the marked fields.")
    except StaleVersion as exc:
        diff = revision_selectors.plan_diff(plan, base_version, exc.current_version)
        error = (
            f"The plan changed while you edited it: you started from version {base_version}, "
            f"it is now version {exc.current_version}. Nothing was saved; see what changed, "
            "then edit the current version."
        )
        return _edit_page(
            request, plan_or_404(request, plan_id), form, status=409, error=error, diff=diff
        )
    except DomainError as exc:
        return _edit_page(request, plan, form, status=409, error=f"{exc}.".capitalize())
    messages.success(request, f"Saved as version {revision.version}; review it and approve it.")
    return redirect("plans:detail", plan_id=plan_id)


@never_cache
@login_required
@require_http_methods(["GET"])
def plan_diff(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """What changed between two versions (`from`, `to`; by default the last change)."""
    plan = plan_or_404(request, plan_id)
    try:
        to = int(request.GET.get("to") or plan.version)
        start = int(request.GET.get("from") or max(1, to - 1))
    except ValueError:
        raise Http404("Versions are numbers.") from None
    try:
        diff = revision_selectors.plan_diff(plan, start, to)
    except PlanRevision.DoesNotExist:
        raise Http404("No such version of this plan.") from None
    context = {"plan": plan, "diff": diff, "revisions": revision_selectors.revisions_for(plan)}
    return render(request, DIFF_TEMPLATE, context)


def page_context(plan: Plan, seen: int | None) -> dict[str, Any]:
    """What the plan page shows about versions: its revisions, the version it was opened at
    (`seen`: the page's actions stay bound to it) and, if the plan changed since, the diff."""
    current = plan.version
    seen_version = seen if seen is not None and 1 <= seen <= current else current
    changed = None
    if seen_version != current:
        try:
            changed = revision_selectors.plan_diff(plan, seen_version, current)
        except PlanRevision.DoesNotExist:
            changed = None
    return {
        "revisions": list(revision_selectors.revisions_for(plan)[:20]),
        "seen_version": seen_version,
        "changed": changed,
    }
