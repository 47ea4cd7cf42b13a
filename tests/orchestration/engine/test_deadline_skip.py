"""A gate with on_timeout skip is skipped when its deadline passes; its dependents go on."""

from __future__ import annotations

import pytest

from tests.plans.deadlines.support import due, gated

pytestmark = pytest.mark.django_db


def test_it_skips_the_gate_and_its_dependents_go_on(team, worker):
    plan = gated(team, on_timeout="skip")
    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "executing"
    gate = plan.steps.get(key="deploy")
    assert (gate.status, gate.skip_reason) == ("skipped", "decision deadline passed")
    report = plan.steps.get(key="report")
    assert (report.status, report.waiting_on) == ("pending", 0)
    skipped = plan.events.get(kind="step.skipped")
    assert (skipped.step_key, skipped.source) == ("deploy", "timeout")
    assert plan.events.get(kind="decision.timed_out").data["action"] == "skip"
