"""The API's step shows what the step runs once a recovery changed it; executor and params stay
as submitted."""

from __future__ import annotations

from executors.protocol import FailureClass, StepOutcome
from plans import services
from tests.conftest import ApiClient
from tests.factories import approve, claim, finish, step, submit_plan


def test_it_shows_what_a_fallback_switched_the_step_to(api: ApiClient, team) -> None:
    fallback = {"recipe": "fallback", "executor": "python", "params": {"function": "word_count"}}
    plan = approve(submit_plan(team, [step("a", params={"m": 1}, recover={"timeout": fallback})]))
    services.plan_start(plan=plan, actor=services.SYSTEM)
    before = api.get(f"/plans/{plan.pk}").json()["steps"][0]
    assert before["runs"] is None

    finish(claim(plan, "a"), StepOutcome.failure("slow", FailureClass.TIMEOUT))

    after = api.get(f"/plans/{plan.pk}").json()["steps"][0]
    assert (after["executor"], after["params"]) == ("echo", {"m": 1})
    assert after["runs"] == {
        "executor": "python",
        "params": {"function": "word_count"},
        "recoveries": ["step:timeout"],
    }
