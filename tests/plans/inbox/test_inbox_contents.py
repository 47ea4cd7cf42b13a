"""What the inbox lists: drafts (new and revised), gates, plans needing attention; not plans
waiting for their agent, nor plans past review."""

from __future__ import annotations

from typing import Any

from plans.inbox import selectors
from plans.models import Plan
from tests.factories import approve
from tests.plans.inbox.helpers import ago, draft, gate, needing_attention, revise


def test_it_lists_drafts_gates_and_plans_needing_attention(reviewer: Any, team: Any) -> None:
    new = draft(team, "New plan")
    revised = revise(draft(team, "Revised plan"))
    gated = gate(team, "Gated plan", since=ago(minutes=5))
    stuck = needing_attention(team, "Stuck plan", since=ago(minutes=3))

    items = {(i.plan_title, i.kind): i for i in selectors.inbox_for_user(reviewer)}

    assert set(items) == {
        ("New plan", "draft"),
        ("Revised plan", "draft"),
        ("Gated plan", "gate"),
        ("Stuck plan", "needs_attention"),
    }
    assert not items["New plan", "draft"].revised
    assert items["Revised plan", "draft"].revised
    assert items["Revised plan", "draft"].version == 2 == revised.version
    assert items["Gated plan", "gate"].step_key == "deploy"
    assert items["Gated plan", "gate"].plan_id == gated.pk
    assert items["Stuck plan", "needs_attention"].plan_id == stuck.pk
    assert items["New plan", "draft"].plan_id == new.pk
    assert selectors.inbox_count_for_user(reviewer) == 4


def test_it_leaves_out_plans_waiting_for_their_agent_and_plans_past_review(
    reviewer: Any, team: Any
) -> None:
    asked = draft(team, "Changes requested")
    Plan.objects.filter(pk=asked.pk).update(status="changes_requested")
    approve(draft(team, "Approved already"))
    cancelled = draft(team, "Cancelled")
    Plan.objects.filter(pk=cancelled.pk).update(status="cancelled")

    assert selectors.inbox_for_user(reviewer) == []
    assert selectors.inbox_count_for_user(reviewer) == 0
    assert [i.plan_title for i in selectors.waiting_for_agent_for_user(reviewer)] == [
        "Changes requested"
    ]
