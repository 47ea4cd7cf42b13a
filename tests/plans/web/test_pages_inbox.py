"""The inbox page lists what waits for the reviewer, each with its version, how long it has
waited, and forms that work without JavaScript."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.models import Plan
from tests.plans.inbox.helpers import ago, draft, gate, needing_attention, revise


def test_it_lists_each_item_with_its_kind_version_and_wait(
    client: Client, reviewer: Any, team: Any, other_team: Any
) -> None:
    revise(draft(team, "Revised report", created=ago(hours=6)), at=ago(hours=2))
    gated = gate(team, "Deploy service", since=ago(hours=3))
    needing_attention(team, "Stuck import", since=ago(minutes=20))
    asked = draft(team, "Back with its agent")
    Plan.objects.filter(pk=asked.pk).update(status="changes_requested")
    draft(other_team, "Someone else's plan")
    client.force_login(reviewer)

    page = client.get("/inbox").content.decode()

    titles = re.findall(r"data-inbox-open>([^<]+)</a>", page)
    assert titles == ["Deploy service", "Revised report", "Stuck import"]
    assert "waiting 3 h" in page and "waiting 2 h" in page and "waiting 20 min" in page
    assert '<span class="badge badge-revised">Revised</span>' in page
    assert "Step <code>deploy</code>" in page
    assert f'href="/plans/{gated.pk}/?step=deploy#step-deploy" data-inbox-approve' in page
    assert "Approve version 2" in page
    assert "Someone else" not in page
    # Waiting for its agent: listed apart, not as something to decide.
    assert "Waiting for the agent" in page
    assert "Back with its agent" not in "".join(titles)


def test_it_cancels_a_plan_from_the_inbox(client: Client, reviewer: Any, team: Any) -> None:
    plan = draft(team, "Not needed")
    client.force_login(reviewer)

    response = client.post(f"/inbox/{plan.pk}/cancel", {"reason": "duplicate"})

    assert response.status_code == 302 and response["Location"] == "/inbox"
    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("cancelled", "duplicate")
    assert "Cancelled Not needed." in client.get("/inbox").content.decode()


def test_it_skips_a_gate_with_a_reason(client: Client, reviewer: Any, team: Any) -> None:
    plan = gate(team, "Deploy service", since=ago(minutes=5))
    client.force_login(reviewer)

    response = client.post(f"/inbox/{plan.pk}/skip", {"key": "deploy", "reason": "done by hand"})

    assert response.status_code == 302
    step = plan.steps.get(key="deploy")
    assert (step.status, step.skip_reason) == ("skipped", "done by hand")
    assert "Nothing waits for you" in client.get("/inbox").content.decode()


def test_it_asks_anonymous_visitors_to_log_in(client: Client, db: Any) -> None:
    response = client.get("/inbox")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
