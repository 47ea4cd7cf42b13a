"""Every action on the pages, for every role: a viewer is refused with 403 and nothing changes,
a reviewer and an admin are let through, someone outside the team gets 404 (the plan is not
theirs to see). The table must name every form action of plans/web/urls.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from plans.models import Membership, Plan, PlanEvent, Role
from plans.web.urls import urlpatterns
from tests.factories import TeamFactory, UserFactory, step, submit_plan
from tests.plans.budgets.support import held_plan
from tests.plans.deadlines.support import draft as deadline_draft
from tests.plans.gates.support import started
from tests.plans.rescue.support import needing_attention

pytestmark = pytest.mark.django_db

# Pages that only show something (GET), the team settings page's own forms (tested with that
# page), and the planner's form, which acts on no plan (tests/plans/web/test_pages_propose.py
# tries it for every role).
READS = {"list", "detail", "live", "inbox", "inbox_count", "diff", "team_settings", "propose"}


def draft(team: Any) -> Plan:
    return submit_plan(team)


def with_deadline(team: Any) -> Plan:
    return deadline_draft(team, decision_deadline=3600)


def needing_inputs(team: Any) -> Plan:
    inputs = {"text": {"$input": "text"}}
    return submit_plan(team, [step("count", executor="", action="count_words", inputs=inputs)])


# url name -> (the plan it acts on, the form it posts)
ACTIONS: dict[str, tuple[Callable[[Any], Plan], dict[str, Any]]] = {
    "approve": (draft, {"version": 1}),
    "cancel": (draft, {"reason": "no"}),
    "skip": (draft, {"reason": "no"}),
    "skip_step": (draft, {"key": "a", "reason": "no"}),
    "request_changes": (draft, {"version": 1, "comment": "shorter"}),
    "comment": (draft, {"body": "looks fine"}),
    "edit": (draft, {"base_version": 1}),
    "gate_approve": (started, {"key": "deploy", "version": 1}),
    "rescue_retry": (needing_attention, {"key": "fetch", "version": 2, "params": "{}"}),
    "rescue_fail": (needing_attention, {"version": 2, "reason": "broken"}),
    "inbox_approve": (draft, {}),
    "inbox_cancel": (draft, {"reason": "no"}),
    "inbox_skip": (started, {"key": "deploy", "reason": "no"}),
    "deadline_extend": (with_deadline, {"version": 1, "seconds": 3600}),
    "confirm": (draft, {"version": 1}),
    "budget_raise": (held_plan, {"version": 2, "budget": "5"}),
    "inputs": (needing_inputs, {"version": 1, "input_0": "a few words"}),
}


def url(name: str, plan: Plan) -> str:
    if name == "skip":
        return reverse("plans:skip", kwargs={"plan_id": plan.pk, "key": "a"})
    if name == "inbox_approve":
        return reverse("plans:inbox_approve")
    if name == "confirm":
        return reverse("plans:confirm", kwargs={"plan_id": plan.pk, "action": "approve"})
    return reverse(f"plans:{name}", kwargs={"plan_id": plan.pk})


def form(name: str, plan: Plan) -> dict[str, Any]:
    data = dict(ACTIONS[name][1])
    if name == "inbox_approve":
        data["item"] = f"{plan.pk}:{plan.version}"
    return data


def test_it_knows_every_form_action() -> None:
    names = {p.name for p in urlpatterns if isinstance(p, URLPattern)}
    actions = {n for n in names if n not in READS and not (n or "").startswith("team_")}
    assert actions == set(ACTIONS)


def browser_for(team: Any, role: str | None) -> Client:
    user = UserFactory(username=f"someone-{role}")
    if role is None:
        TeamFactory(name="elsewhere").members.add(user)
    else:
        Membership.objects.create(team=team, user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_it_refuses_a_viewer_with_403_and_changes_nothing(team: Any, name: str) -> None:
    plan = ACTIONS[name][0](team)
    events = PlanEvent.objects.filter(plan=plan).count()

    response = browser_for(team, Role.VIEWER).post(url(name, plan), form(name, plan))

    assert response.status_code == 403
    assert "is a viewer in" in response.content.decode()
    assert PlanEvent.objects.filter(plan=plan).count() == events


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_it_lets_reviewers_and_admins_act(team: Any, name: str, role: str) -> None:
    plan = ACTIONS[name][0](team)

    response = browser_for(team, role).post(url(name, plan), form(name, plan))

    assert response.status_code not in (403, 404), response.content.decode()[:500]


@pytest.mark.parametrize("name", sorted(set(ACTIONS) - {"inbox_approve"}))
def test_it_answers_404_to_someone_outside_the_team(team: Any, name: str) -> None:
    plan = ACTIONS[name][0](team)

    response = browser_for(team, None).post(url(name, plan), form(name, plan))

    assert response.status_code == 404


def test_it_approves_for_a_reviewer_not_for_a_viewer(team: Any) -> None:
    plan = draft(team)

    browser_for(team, Role.VIEWER).post(url("approve", plan), {"version": 1})
    plan.refresh_from_db()
    assert plan.status == "draft"

    browser_for(team, Role.REVIEWER).post(url("approve", plan), {"version": 1})
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_it_refuses_an_htmx_post_of_a_viewer_and_says_why_on_the_plan_page(team: Any) -> None:
    plan = draft(team)
    browser = browser_for(team, Role.VIEWER)

    response = browser.post(url("approve", plan), {"version": 1}, headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert response["HX-Redirect"] == f"/plans/{plan.pk}/"
    page = browser.get(f"/plans/{plan.pk}/").content.decode()
    assert "someone-viewer is a viewer in acme; approving needs reviewer." in page
