"""A worker killed while firing a timer leaves it unfired (its transaction never commits), and
another worker then fires it, once."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from orchestration.engine.timers import timers_fire_due
from plans.models import DecisionTimer, Plan
from tests.orchestration.support import wait_for
from tests.plans.deadlines.support import draft, due
from tests.processes import running

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Claims the due timer and acts (the plan is cancelled, in its transaction), says so, and
# hangs before committing, to be killed.
FIRE_AND_HANG = """
import django, sys, time
django.setup()
from django.db import transaction
from django.utils import timezone
from orchestration.engine import timers
with transaction.atomic():
    timer = timers.timer_claim(timezone.now())
    print("fired", timers._fire(timer, timezone.now()), flush=True)
    time.sleep(120)
"""


def test_it_fires_a_timer_once_after_its_worker_died_mid_firing(team: Any, tmp_path: Path) -> None:
    plan = draft(team)
    due(plan)
    log = tmp_path / "worker.log"
    with running(["-c", FIRE_AND_HANG], log=log) as child:
        wait_for(lambda: "fired" in log.read_text(), "the child to fire the timer", timeout=30)
        # While it holds the timer, other workers pass over it rather than fire it again.
        assert timers_fire_due() == 0
        child.send_signal(signal.SIGKILL)
        child.wait()
    # Its transaction was rolled back with its session: nothing of its firing remains.
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert not plan.events.filter(kind="decision.timed_out").exists()
    assert DecisionTimer.objects.get(plan=plan).fired_at is None

    assert timers_fire_due() == 1
    assert timers_fire_due() == 0
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == "cancelled"
    assert plan.events.filter(kind="decision.timed_out").count() == 1
