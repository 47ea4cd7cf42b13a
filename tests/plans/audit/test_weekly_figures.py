"""Time to decision per ISO week: each wait from its start (submission, revision into a draft,
a gate's hold) to the decision ending it, counted in the decision's week; median and 90th
percentile (nearest rank) of them; timeouts and escalations counted per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from plans.audit.selectors import weekly_figures
from tests.plans.audit.helpers import event, submitted_at

MON_W10 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MON_W11 = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)


def known_waits(team: Any) -> None:
    """W10: plans decided after 1, 2, 3, 4 and 10 hours, a gate after 30 minutes.
    W11: a plan revised while waiting and approved 6 h after submission; a plan sent back after
    2 h and approved 1 h after its revision; one timeout and one escalation."""
    decided = ["plan.approved", "plan.cancelled", "plan.changes_requested", "plan.approved"]
    for hours, kind in zip([1, 2, 3, 4], decided, strict=True):
        plan = submitted_at(team, MON_W10, title=f"{hours} h")
        event(plan, kind, MON_W10 + timedelta(hours=hours))
    slow = submitted_at(team, MON_W10, title="10 h")
    event(slow, "decision.timed_out", MON_W10 + timedelta(hours=10), actor="system")
    gated = submitted_at(team, MON_W10 - timedelta(days=3), title="Gated")
    event(gated, "plan.approved", MON_W10 - timedelta(days=2))
    event(gated, "step.awaiting_approval", MON_W10 + timedelta(days=1), step_key="b")
    event(gated, "step.approved", MON_W10 + timedelta(days=1, minutes=30), step_key="b")

    revised = submitted_at(team, MON_W11, title="Revised while waiting")
    event(revised, "plan.revised", MON_W11 + timedelta(hours=1), actor="token:ab12")
    event(revised, "plan.approved", MON_W11 + timedelta(hours=6))
    sent_back = submitted_at(team, MON_W11, title="Sent back")
    event(sent_back, "plan.changes_requested", MON_W11 + timedelta(hours=2))
    event(sent_back, "plan.revised", MON_W11 + timedelta(hours=5), actor="token:ab12")
    event(sent_back, "plan.approved", MON_W11 + timedelta(hours=6))
    event(sent_back, "decision.escalated", MON_W11 + timedelta(hours=3), actor="system")


def test_it_computes_median_and_90th_percentile_per_iso_week(team: Any) -> None:
    known_waits(team)

    w10, w11 = weekly_figures(
        team, since=datetime(2026, 3, 2, tzinfo=UTC), until=datetime(2026, 3, 16, tzinfo=UTC)
    )

    assert (w10.label, w10.decided) == ("2026-W10", 6)
    assert w10.median == timedelta(hours=2, minutes=30)
    assert w10.p90 == timedelta(hours=10)
    assert (w10.timeouts, w10.escalations) == (1, 0)
    assert (w11.label, w11.decided) == ("2026-W11", 3)
    assert sorted(w11.waits) == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=6)]
    assert (w11.median, w11.p90) == (timedelta(hours=2), timedelta(hours=6))
    assert (w11.timeouts, w11.escalations) == (0, 1)


def test_it_counts_only_decisions_inside_the_period(team: Any) -> None:
    known_waits(team)

    (w11,) = weekly_figures(
        team, since=datetime(2026, 3, 9, tzinfo=UTC), until=datetime(2026, 3, 16, tzinfo=UTC)
    )

    assert w11.decided == 3 and w11.timeouts == 0


def test_it_closes_the_waiting_gates_of_a_cancelled_plan(team: Any) -> None:
    plan = submitted_at(team, MON_W10 - timedelta(days=1))
    event(plan, "plan.approved", MON_W10 - timedelta(hours=9))
    event(plan, "step.awaiting_approval", MON_W10, step_key="deploy")
    event(plan, "plan.cancelled", MON_W10 + timedelta(hours=5))

    (w10,) = weekly_figures(
        team, since=datetime(2026, 3, 2, tzinfo=UTC), until=datetime(2026, 3, 9, tzinfo=UTC)
    )

    assert w10.waits == [timedelta(hours=5)]
