"""Skipping a step from the plan page, with the warning about what depends on it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from plans import selectors, services
from plans.models import PlanStep
from tests.factories import WORKER, approve, claim, step, submit_plan


def row(body: str, dom_id: str) -> str:
    start = body.index(f'<tr id="{dom_id}"')
    return body[start : body.index("</tr>", start)]


def test_it_warns_which_steps_depend_on_the_one_to_skip(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b"), step("d")])
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    warning_a = " ".join(row(body, "step-a").split())
    assert (
        "<code>b</code>, <code>c</code> depend on this step; they will run without its result."
        in warning_a
    )
    warning_b = " ".join(row(body, "step-b").split())
    assert (
        "<code>c</code> depends on this step; it will still wait for <code>a</code>, "
        "as this step does, then run without its result." in warning_b
    )
    assert "No step depends on this one." in row(body, "step-d")


def test_it_warns_what_dependents_wait_for_through_skipped_steps(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(
        team, [step("x"), step("a"), step("b", "a"), step("c", "b", "x"), step("d", "c")]
    )
    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="not needed")
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert (
        "<code>d</code> depends on this step; it will still wait for <code>x</code>, "
        "<code>a</code>, as this step does, then run without its result."
    ) in " ".join(row(body, "step-c").split())


def test_it_skips_a_step_with_a_reason(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/skip", {"key": "a", "reason": "done by hand"})

    assert response.status_code == 302
    skipped = PlanStep.objects.get(plan=plan, key="a")
    assert (skipped.status, skipped.skip_reason) == ("skipped", "done by hand")
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Skipped step a." in body
    assert "Skipped: done by hand" in row(body, "step-a")
    assert "Skip…" not in row(body, "step-a")
    assert "version 2" in body  # skipping changes a draft


def test_it_refuses_a_skip_without_a_reason(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/skip", {"key": "a", "reason": "   "})

    assert response.status_code == 422
    body = response.content.decode()
    assert "Give a reason for skipping the step." in row(body, "step-a")
    assert '<details id="skip-step-a" class="skip" open>' in body
    assert PlanStep.objects.get(plan=plan, key="a").status == "pending"


def test_it_refuses_to_skip_a_step_that_has_started(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=plan, actor=WORKER)
    claim(plan, "a")
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/skip", {"key": "a", "reason": "too late"})

    assert response.status_code == 409
    assert "Cannot skip step &#x27;a&#x27; that is in progress." in row(
        response.content.decode(), "step-a"
    )


def test_it_skips_steps_whose_keys_do_not_fit_in_a_url(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("build/test"), step("..")])
    client.force_login(reviewer)
    for key in ["build/test", ".."]:
        response = client.post(f"/plans/{plan.pk}/skip", {"key": key, "reason": "not needed"})
        assert response.status_code == 302
    assert set(plan.steps.values_list("status", flat=True)) == {"skipped"}


def test_it_also_takes_the_key_in_the_url(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("fetch.data")])
    client.force_login(reviewer)
    response = client.post(f"/plans/{plan.pk}/steps/fetch.data/skip", {"reason": "cached"})
    assert response.status_code == 302
    assert plan.steps.get().skip_reason == "cached"


def test_it_answers_404_for_an_unknown_step(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    client.force_login(reviewer)
    response = client.post(f"/plans/{plan.pk}/skip", {"key": "zzz", "reason": "x"})
    assert response.status_code == 404


def test_the_warning_names_what_dependents_of_names(team: Any) -> None:
    plan = submit_plan(
        team, [step("a"), step("b", "a"), step("c", "a"), step("d", "b", "c"), step("e", "d")]
    )
    steps = list(selectors.plan_get_for_user(team.members.get(), plan.pk).steps.all())
    assert selectors.dependents_by_key(steps) == {s.key: selectors.dependents_of(s) for s in steps}
    assert selectors.dependents_by_key(steps)["a"] == ["b", "c", "d", "e"]
