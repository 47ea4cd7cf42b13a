"""With a worker: a step that asks when it fails holds the plan; the steps in flight finish; a
reviewer's retry with fixed params runs it again and the plan completes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from executors.protocol import StepSpec
from orchestration.engine.worker import Worker
from plans.models import Plan, PlanStep
from plans.rescue import services as rescue
from plans.services import SYSTEM
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS
from tests.orchestration.support import events_of, run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

FINISH = threading.Event()


def slow(spec: StepSpec) -> list[str]:
    if not FINISH.wait(10):
        raise TimeoutError("the test never let the slow step finish")
    return ["slow done"]


@pytest.fixture(autouse=True)
def gate(worker: Worker) -> Iterator[None]:
    FINISH.clear()
    yield
    FINISH.set()


def test_it_retries_with_fixed_params_and_completes(team, worker, allow_functions) -> None:
    allow_functions(fetch_source=FUNCTIONS["fetch_source"], slow=f"{__name__}.slow")
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "fetch",
                    executor="python",
                    params={"function": "fetch_source", "source": "bda"},
                    on_failure="ask",
                ),
                step("slow", executor="python", params={"function": "slow"}),
                step("report", "fetch"),
                step("after_slow", "slow"),
            ],
        )
    )
    run_until(
        worker,
        lambda: Plan.objects.get(pk=plan.pk).status == "needs_attention",
        "the plan to need attention",
    )

    # The slow step is still in flight: it finishes and is recorded, but nothing new starts,
    # not even what waits on it.
    assert PlanStep.objects.get(plan=plan, key="slow").status == "in_progress"
    FINISH.set()
    run_until(
        worker,
        lambda: PlanStep.objects.get(plan=plan, key="slow").status == "completed",
        "the slow step to finish",
    )
    run_until_idle(worker)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    steps = steps_of(plan)
    assert steps["fetch"].error == "ValueError: unknown source 'bda'"
    assert steps["report"].status == "pending"
    assert steps["after_slow"].status == "pending"

    rescue.step_retry(
        plan=plan,
        key="fetch",
        actor=SYSTEM,
        version=plan.version,
        params={"function": "fetch_source", "source": "good"},
    )
    run_until(
        worker, lambda: Plan.objects.get(pk=plan.pk).status == "completed", "the plan to complete"
    )
    steps = steps_of(plan)
    assert steps["fetch"].result == {"fetched": "good"}
    assert steps["fetch"].attempts == 2
    assert steps["report"].status == "completed"
    assert steps["after_slow"].status == "completed"
    events = events_of(plan)
    assert events.index(("plan.needs_attention", "fetch")) < events.index(("step.retried", "fetch"))
