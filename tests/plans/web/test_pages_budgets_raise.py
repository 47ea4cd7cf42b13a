"""The plan page when its budget holds it: the reason, the raise form (working without
JavaScript), "1 of 2" with a quorum, a stale version refused; the team settings page's budget."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from plans.models import Membership, Role
from tests.factories import UserFactory, step, submit_plan
from tests.plans.budgets.support import held_plan, run, start


def browser(team, name: str, role: str = Role.REVIEWER) -> Client:
    user = UserFactory(username=name)
    Membership.objects.create(team=team, user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_hold_and_the_raise_resumes_the_plan(team) -> None:
    plan = held_plan(team)
    bob = browser(team, "bob")
    page = bob.get(f"/plans/{plan.pk}/").content.decode()
    assert "Budget reached: 2.00 of 1.50." in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'action="/plans/{plan.pk}/budget"' in page
    assert "Cost 1.00" in page

    answer = bob.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": "5"})
    assert answer.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "executing"
    assert plan.budget == Decimal(5)
    page = bob.get(f"/plans/{plan.pk}/").content.decode()
    assert "Raised the budget to 5.00." in page
    assert "2.00 of 5.00" in page


def test_with_a_quorum_of_two_the_page_says_1_of_2(team) -> None:
    plan = held_plan(team, required_approvals=2)
    bob, carol = browser(team, "bob"), browser(team, "carol")
    bob.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": "5"})
    page = bob.get(f"/plans/{plan.pk}/").content.decode()
    assert "Your raise to 5.00 is recorded: 1 of 2." in page
    assert "Raise to 5.00: 1 of 2, by bob (reviewer)." in page
    plan.refresh_from_db()
    assert plan.status == "needs_attention"

    carol.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": "5.00"})
    plan.refresh_from_db()
    assert plan.status == "executing"


def test_a_stale_version_is_refused_with_409(team) -> None:
    plan = held_plan(team)
    answer = browser(team, "bob").post(
        f"/plans/{plan.pk}/budget", {"version": plan.version - 1, "budget": "5"}
    )
    assert answer.status_code == 409
    assert "The plan changed since you opened it" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.status == "needs_attention"


def test_a_raise_not_above_the_spending_is_a_422(team) -> None:
    plan = held_plan(team)
    answer = browser(team, "bob").post(
        f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": "1.99"}
    )
    assert answer.status_code == 422
    assert "must be a number above what the plan spent (2.00)" in answer.content.decode()


def test_the_estimate_shows_before_approval(team) -> None:
    plan = submit_plan(
        team, [step("a", estimated_cost="1.25"), step("b", estimated_cost=2)], budget="10"
    )
    page = browser(team, "bob").get(f"/plans/{plan.pk}/").content.decode()
    assert "3.25" in page
    assert "Estimated 1.25" in page


def test_an_admin_sets_the_monthly_budget_and_sees_the_month(team) -> None:
    plan = start(submit_plan(team, [step("a")], title="Costly"))
    run(plan, "a", cost="12.5", model="small")
    admin = browser(team, "ada", Role.ADMIN)
    page = admin.get(f"/teams/{team.pk}/settings/").content.decode()
    assert "spent <strong>12.50</strong>" in page
    assert "Costly" in page

    answer = admin.post(f"/teams/{team.pk}/settings/budget", {"monthly_budget": "100"})
    assert answer.status_code == 302
    team.refresh_from_db()
    assert team.monthly_budget == Decimal(100)
    assert (
        admin.post(f"/teams/{team.pk}/settings/budget", {"monthly_budget": "-1"}).status_code == 422
    )
