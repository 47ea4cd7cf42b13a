"""The plan page lists a fan-out step's items under its row, not as steps of their own."""

from __future__ import annotations

import pytest

from executors.protocol import StepOutcome
from plans import selectors
from plans.models import PlanEvent
from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import approve, claim, finish, list_step, step, submit_plan
from tests.orchestration.support import fanned_out, run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)

STAGES = [
    {"name": "first", "executor": "echo"},
    {"name": "second", "executor": "echo"},
]


def test_it_shows_each_item_with_its_stages_under_the_fan_out_row(client, reviewer, team, worker):
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", ["<b>x</b>", "y"]),
                step("each", "list", for_each={"over": "list", "stages": STAGES}),
            ],
        )
    )
    run_until_idle(worker)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert f'<tr id="items-{step_dom_id("each")}" class="step-items">' in body
    assert "2 items of <code>each</code>" in body
    assert '<th scope="col">first</th>' in body and '<th scope="col">second</th>' in body
    # Item values are plan data: escaped like everything else.
    assert "&quot;&lt;b&gt;x&lt;/b&gt;&quot;" in body
    assert "<b>x</b>" not in body
    assert body.count('<span class="badge badge-completed">Completed</span>') >= 2 + 4
    # Items are not steps of the plan's own: no rows of their own, not in the progress count.
    assert f'id="{step_dom_id("each[0].first")}"' not in body
    assert "<strong>2</strong> of 2 steps done" in body


def test_it_lists_the_first_items_and_says_how_many_more_there_are(
    client, reviewer, team, worker, monkeypatch
):
    monkeypatch.setattr(selectors, "ITEMS_SHOWN", 2)
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", ["p", "q", "r"]),
                step("each", "list", for_each={"over": "list"}),
            ],
        )
    )
    run_until_idle(worker)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "3 items of <code>each</code>" in body
    assert "&quot;q&quot;" in body and "&quot;r&quot;" not in body.split("items-table")[1]
    assert "… and 1 more; the API lists them all." in body


def test_it_says_what_a_fan_out_step_will_run_over_before_it_runs(client, reviewer, team):
    plan = submit_plan(
        team, [step("list"), step("each", "list", for_each={"over": "list.rows", "stages": STAGES})]
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert (
        "Runs once for each item of <code>list.rows</code>, 4 at a time, through first, second."
        in body
    )


def test_it_sends_the_fan_out_row_again_when_one_of_its_items_changes(
    client, reviewer, team, worker
):
    plan = fanned_out(team, worker, [1, 2])
    after = PlanEvent.objects.filter(plan=plan).order_by("id").last().pk
    assert finish(claim(plan, "each[0]"), StepOutcome.success("one"))
    client.force_login(reviewer)

    body = client.get(
        f"/plans/{plan.pk}/live", {"after": after}, headers={"HX-Request": "true"}
    ).content.decode()

    assert (
        f'<tr id="{step_dom_id("each")}" class="step step-in_progress" hx-swap-oob="true">' in body
    )
    assert f'<tr id="items-{step_dom_id("each")}" class="step-items" hx-swap-oob="true">' in body
    assert "&quot;one&quot;" in body
    assert f'id="{step_dom_id("list")}"' not in body
