"""GET /api/v1/inbox: what waits for the token's team, oldest first, with how long."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.plans.inbox.helpers import ago, draft, gate, needing_attention, revise


def test_it_lists_the_teams_waiting_items_oldest_first(
    api: Any, team: Any, other_team: Any
) -> None:
    revised = revise(draft(team, "Revised", created=ago(hours=4)), at=ago(hours=1))
    gated = gate(team, "Gated", since=ago(hours=3))
    needing_attention(team, "Stuck", since=ago(minutes=10))
    asked = draft(team, "Waiting for its agent")
    Plan.objects.filter(pk=asked.pk).update(status="changes_requested")
    draft(other_team, "Not ours")

    response = api.get("/inbox")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["for_reviewers"], body["for_integration"]) == (4, 3, 1)
    first, second, third, fourth = body["items"]
    assert (first["kind"], first["plan_title"], first["step_key"]) == ("gate", "Gated", "deploy")
    assert 3 * 3600 - 60 < first["waited_seconds"] < 3 * 3600 + 60
    assert first["links"] == {
        "plan": f"/api/v1/plans/{gated.pk}",
        "page": f"/plans/{gated.pk}/",
    }
    assert (second["kind"], second["plan_title"], second["version"], second["revised"]) == (
        "draft",
        "Revised",
        2,
        True,
    )
    assert second["plan_id"] == str(revised.pk)
    assert second["team"] == "acme"
    assert (third["kind"], third["step_key"]) == ("needs_attention", None)
    # Waiting for the integration to answer with a revision, since the request.
    assert (fourth["kind"], fourth["plan_title"]) == ("changes_requested", "Waiting for its agent")


def test_it_needs_a_token(client: Any, db: Any) -> None:
    assert client.get("/api/v1/inbox").status_code == 401
