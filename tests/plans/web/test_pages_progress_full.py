"""A finished plan's progress bar is full: its parts end at 100%, not at 99% from rounding each
part down on its own."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from executors.protocol import FailureClass, StepOutcome
from plans import services
from tests.factories import WORKER, approve, claim, finish, step, submit_plan


def test_it_fills_the_bar_of_a_finished_plan(client: Client, reviewer: Any, team: Any) -> None:
    # One step of three completed, one skipped, one failed: 33% each, rounded down.
    plan = approve(submit_plan(team, [step("a"), step("b"), step("c")], max_concurrency=1))
    services.step_skip(plan=plan, key="b", actor=WORKER, reason="not needed")
    services.plan_start(plan=plan, actor=WORKER)
    assert finish(claim(plan, "a"), StepOutcome(ok=True, result=1))
    assert finish(claim(plan, "c"), StepOutcome.failure("no", FailureClass.BAD_INPUT))
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "<strong>3</strong> of 3 steps done" in body
    bars = re.findall(r'<rect class="bar bar-(\w+)" x="(\d+)%" y="0" width="(\d+)%"', body)
    end = max(int(x) + int(w) for _, x, w in bars)
    assert end == 100
    assert sum(int(w) for _, _, w in bars) == 100
