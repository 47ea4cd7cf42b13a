"""Plan page actions of the discussion: comment on a plan or a step, and request changes.

Thin: parse the form, call one service, redirect back (or, for htmx, answer with the page's
fragments). A refused request answers 409, an invalid one 422, with the page saying why.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from plans.access.rules import Action
from plans.discussion import services as discussion_services
from plans.services import Actor
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid, Problem
from plans.web.access import may, plan_or_404
from plans.web.discussion_forms import CommentForm, RequestChangesForm
from plans.web.views import HtmxHttpRequest, action_done, as_sentence, plan_page

STALE_MESSAGE = (
    "This plan changed since you opened it (you saw version {seen}, it is now version {current}). "
    "Review it again before requesting changes."
)


@login_required
@require_POST
@may(Action.COMMENT)
def comment_add(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = discussion_services.comment_add(
                plan=plan,
                actor=Actor.for_user(request.user),
                body=form.cleaned_data["body"],
                step_key=form.cleaned_data["step_key"],
            )
        except PlanInvalid as exc:
            for problem in exc.problems:
                form.add_error(None, _problem_text(problem))
        else:
            messages.success(request, "Comment added.")
            if request.htmx:
                return plan_page(request, plan_id)
            url = reverse("plans:detail", kwargs={"plan_id": plan_id})
            return redirect(f"{url}#comment-{comment.pk}")
    return plan_page(
        request,
        plan_id,
        status=422,
        action_error="Your comment was not added: see the comment form.",
        extra={"comment_form": form},
    )


@login_required
@require_POST
@may(Action.REQUEST_CHANGES)
def plan_request_changes(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    keys = [s.key for s in plan.steps.all()]
    form = RequestChangesForm(request.POST, step_keys=keys)
    if not form.is_valid():
        if "version" in form.errors:
            return plan_page(
                request, plan_id, status=422, action_error="Reload the page and try again."
            )
        return plan_page(request, plan_id, status=422, extra={"changes_form": form})
    seen = form.cleaned_data["version"]
    try:
        discussion_services.plan_request_changes(
            plan=plan,
            actor=Actor.for_user(request.user),
            version=seen,
            comment=form.cleaned_data["comment"],
            step_comments=form.step_comments(),
        )
    except StaleVersion as exc:
        error = STALE_MESSAGE.format(seen=seen, current=exc.current_version)
        return plan_page(request, plan_id, status=409, action_error=error)
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    except PlanInvalid as exc:
        for problem in exc.problems:
            form.add_error(None, _problem_text(problem))
        return plan_page(request, plan_id, status=422, extra={"changes_form": form})
    return action_done(request, plan_id, "Requested changes; the plan waits for a new revision.")


def _problem_text(problem: Problem) -> str:
    if len(problem.loc) == 2 and problem.loc[0] == "step_comments":
        return f"Comment on step {problem.loc[1]}: {problem.msg}."
    return f"{problem.msg[:1].upper()}{problem.msg[1:]}."
