"""A fan-out step whose `over` does not lead to a usable list fails as bad_input, saying why."""

from __future__ import annotations

import pytest

from plans import services
from plans.models import PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def listing(items):
    return step("list", executor="python", params={"function": "list_items", "items": items})


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        (
            [listing([1, 2]), step("each", "list", for_each={"over": "list.rows"})],
            "for_each.over 'list.rows': 'list' is a list, which has no field 'rows'",
        ),
        (
            [step("src", params={"rows": []}), step("each", "src", for_each={"over": "src.rows"})],
            "for_each.over 'src.rows': 'src' has no field 'rows' "
            "(its fields: inputs, params, task)",
        ),
        (
            [
                step("src", params={"rows": 3}),
                step("each", "src", for_each={"over": "src.params.rows"}),
            ],
            "for_each.over 'src.params.rows' is a number, not a list",
        ),
        (
            [step("src"), step("each", "src", for_each={"over": "src"})],
            "for_each.over 'src' is an object, not a list",
        ),
    ],
)
def test_it_fails_the_step_when_over_is_not_a_list(team, worker, steps, error):
    plan = approve(submit_plan(team, [*steps, step("after", "each")]))

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "failed"
    each = steps_of(plan)["each"]
    assert (each.status, each.failure_class, each.error) == ("failed", "bad_input", error)
    assert steps_of(plan)["after"].status == "failed"  # dependency_failed
    assert not PlanStep.objects.filter(parent=each).exists()


def test_it_fails_the_step_over_more_items_than_allowed(team, worker, settings):
    settings.PLANGATE_MAX_FAN_OUT = 2
    plan = approve(
        submit_plan(team, [listing([1, 2, 3]), step("each", "list", for_each={"over": "list"})])
    )

    run_until_idle(worker)

    each = steps_of(plan)["each"]
    assert (each.status, each.failure_class) == ("failed", "bad_input")
    assert each.error == (
        "for_each.over 'list' is a list of 3 items; a fan-out step may have at most 2 "
        "(PLANGATE_MAX_FAN_OUT)"
    )
    assert not PlanStep.objects.filter(parent=each).exists()


def test_it_fails_the_step_when_its_list_was_skipped(team, worker):
    plan = submit_plan(team, [listing([1]), step("each", "list", for_each={"over": "list"})])
    services.step_skip(plan=plan, key="list", actor=services.SYSTEM, reason="not needed")
    approve(plan)

    run_until_idle(worker)

    each = steps_of(plan)["each"]
    assert (each.status, each.failure_class) == ("failed", "bad_input")
    assert each.error == "for_each.over 'list': dependency 'list' was skipped, so there is no list"
