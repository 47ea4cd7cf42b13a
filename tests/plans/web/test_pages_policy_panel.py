"""The plan page's Policy panel: the rules that held, why, what each did; shadow rules marked
"would have"; a plan no rule held for says so."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.factories import step, submit_plan
from tests.plans.policy.support import put_policy, rule


def page(reviewer: Any, plan: Any) -> str:
    client = Client()
    client.force_login(reviewer)
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_each_rule_that_held_and_why(team: Any, reviewer: Any) -> None:
    put_policy(
        team,
        [
            rule(
                "gate-risky",
                "require_gate",
                {"params": {"$.risky": {"equals": True}}},
                reason="Risky steps wait for <b>a person</b>",
            ),
            rule("trial-forbid", "forbid", {"steps": {"gte": 2}}, shadow=True),
        ],
    )
    plan = submit_plan(team, [step("a"), step("b", params={"risky": True})])

    html = page(reviewer, plan)

    panel = html[html.index('id="plan-policy"') :]
    panel = panel[: panel.index("</section>")]
    assert "Policy version 1: 1 rule acted, 1 in shadow mode (recorded only)." in panel
    assert "gate-risky" in panel
    assert "Made the steps gates" in panel
    assert "b: params $.risky True equals True" in panel
    assert 'href="#step-b"' in panel
    # Reasons are text, never HTML.
    assert "Risky steps wait for &lt;b&gt;a person&lt;/b&gt;" in panel
    assert "trial-forbid" in panel
    assert "Would have forbidden" in panel
    assert "number of steps 2 gte 2" in panel


def test_a_plan_no_rule_held_for_says_so(team: Any, reviewer: Any) -> None:
    put_policy(team, [rule("stop", "forbid", {"tags_any": ["prod"]})])
    plan = submit_plan(team)

    assert "No rule of policy version 1 matched this plan." in page(reviewer, plan)


def test_a_plan_of_a_team_without_policy_says_so(team: Any, reviewer: Any) -> None:
    plan = submit_plan(team)

    assert "The team had no policy when this version was submitted." in page(reviewer, plan)


def test_a_plan_a_rule_approved_names_the_rule_in_its_log(team: Any, reviewer: Any) -> None:
    put_policy(team, [rule("echo-only", "auto_approve", {"executors_within": ["echo"]})])
    plan = submit_plan(team)

    html = page(reviewer, plan)

    events = html[html.index('id="plan-events"') :]
    assert "policy rule echo-only" in events
    assert "Approved the plan" in html
