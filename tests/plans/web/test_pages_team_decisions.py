"""The team admins' decisions page: what waits now, oldest first, and time to decision per
week; only for the team's admins."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.models import Role
from tests.plans.audit.helpers import member
from tests.plans.audit.test_weekly_figures import known_waits
from tests.plans.inbox.helpers import ago, draft, gate


def week_row(page: str, label: str) -> dict[str, str]:
    row = re.search(rf'<tr data-week="{label}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {label}"
    return dict(re.findall(r"data-(decided|median|p90|timeouts|escalations)>([^<]*)<", row[1]))


def test_it_shows_the_admin_each_weeks_median_and_90th_percentile(
    client: Client, team: Any
) -> None:
    known_waits(team)
    client.force_login(member(team, "bob", Role.ADMIN))

    response = client.get(f"/teams/{team.pk}/decisions/?since=2026-03-02&until=2026-03-15")

    assert response.status_code == 200
    page = response.content.decode()
    assert week_row(page, "2026-W10") == {
        "decided": "6",
        "median": "2 h 30 min",
        "p90": "10 h",
        "timeouts": "1",
        "escalations": "0",
    }
    assert week_row(page, "2026-W11") == {
        "decided": "3",
        "median": "2 h",
        "p90": "6 h",
        "timeouts": "0",
        "escalations": "1",
    }
    assert "9 waits decided, 1 timed out, 1 escalated" in page
    assert (
        f'href="/teams/{team.pk}/decisions/export.csv?since=2026-03-02&amp;until=2026-03-15"'
        in page
    )


def test_it_lists_what_waits_now_oldest_first_with_links(client: Client, team: Any) -> None:
    plan = draft(team, "Fresh draft", created=ago(hours=3))
    gated = gate(team, "Deploy service", since=ago(hours=5))
    client.force_login(member(team, "bob", Role.ADMIN))

    page = client.get(f"/teams/{team.pk}/decisions/").content.decode()

    items = re.findall(r"<li data-waiting-item>(.*?)</li>", page, re.S)
    assert len(items) == 2
    assert "5 h" in items[0] and f'href="/plans/{gated.pk}/?step=deploy#step-deploy"' in items[0]
    assert "3 h" in items[1] and f'href="/plans/{plan.pk}/"' in items[1]


def test_it_refuses_a_reviewer_of_the_team(client: Client, team: Any, reviewer: Any) -> None:
    client.force_login(reviewer)

    response = client.get(f"/teams/{team.pk}/decisions/")

    assert response.status_code == 403
    assert client.get(f"/teams/{team.pk}/decisions/export.csv").status_code == 403


def test_it_hides_the_team_from_another_teams_admin(
    client: Client, team: Any, other_team: Any
) -> None:
    client.force_login(member(other_team, "olga", Role.ADMIN))

    assert client.get(f"/teams/{team.pk}/decisions/").status_code == 404
    assert client.get(f"/teams/{team.pk}/decisions/export.csv").status_code == 404
    assert client.get(f"/teams/{other_team.pk}/decisions/").status_code == 200


def test_it_sends_a_visitor_to_log_in(client: Client, team: Any) -> None:
    response = client.get(f"/teams/{team.pk}/decisions/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
