"""Upgrading a database whose steps were left running by a worker from before leases: the new
workers take those steps back instead of waiting on them for ever."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from plans.models import PlanStep

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("plans", "0001_initial")]


def migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    """Migrate to `targets`, or to the latest migrations."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection)


def test_steps_left_running_get_an_expired_lease_and_waiting_counts(team) -> None:
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    try:
        Plan = old.get_model("plans", "Plan")
        OldStep = old.get_model("plans", "PlanStep")
        plan = Plan.objects.create(
            team_id=team.pk, user_id="u", topic_id="t", goal="g", status="executing"
        )
        running = OldStep.objects.create(
            plan=plan, key="a", task="t", executor="echo", status="in_progress", attempts=1
        )
        waiting = OldStep.objects.create(plan=plan, key="b", task="t", executor="echo")
        waiting.depends_on.add(running)
    finally:
        migrate()

    a = PlanStep.objects.get(key="a")
    assert a.lease_owner == "before-upgrade"
    assert a.lease_expires_at <= timezone.now()
    assert PlanStep.objects.get(key="b").waiting_on == 1
