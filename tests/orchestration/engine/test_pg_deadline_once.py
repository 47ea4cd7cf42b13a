"""Three workers fire many due timers at once: each timer fires exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from orchestration.engine.timers import timers_fire_due
from plans.models import DecisionTimer, PlanEvent
from tests.plans.deadlines.support import draft, due

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PLANS = 40
WORKERS = 3


def test_it_fires_each_timer_once_with_three_workers(team: Any) -> None:
    team.reminder_seconds = [60, 120]
    team.save()
    plans = [draft(team, decision_deadline=3600) for _ in range(PLANS)]
    for plan in plans:
        due(plan, kind="reminder")
        due(plan)
    assert DecisionTimer.objects.filter(fired_at=None).count() == 3 * PLANS
    start = threading.Barrier(WORKERS)
    fired: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            # Small batches, so the workers keep coming back for more while the others fire.
            while n := timers_fire_due(limit=2):
                fired.append(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(fired) == 3 * PLANS
    assert not DecisionTimer.objects.filter(fired_at=None).exists()
    timed_out = Counter(
        PlanEvent.objects.filter(kind="decision.timed_out").values_list("plan_id", flat=True)
    )
    assert timed_out == Counter({plan.pk: 1 for plan in plans})
    cancelled = Counter(
        PlanEvent.objects.filter(kind="plan.cancelled").values_list("plan_id", flat=True)
    )
    assert cancelled == Counter({plan.pk: 1 for plan in plans})
