"""A team's own actions in the admin: checked as the settings' are, and they win over a
settings action of the same name for that team only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from plans.catalog.selectors import actions_for
from plans.models import Action
from tests.factories import UserFactory


@pytest.fixture
def admin(db: Any) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form(team: Any, **fields: Any) -> dict[str, Any]:
    data = {
        "team": team.pk,
        "name": "search",
        "description": "Our own search",
        "executor": "echo",
        "input_schema": json.dumps({"type": "object", "properties": {"q": {"type": "string"}}}),
        "output_schema": "null",
        "params": "{}",
        "guardrails": "null",
    }
    return data | fields


def test_the_admin_reports_every_problem_of_an_action(admin: Client, team: Any) -> None:
    response = admin.post(
        "/admin/plans/action/add/",
        form(team, executor="rocket", input_schema=json.dumps({"type": "array"}), max_attempts=0),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "unknown executor &#x27;rocket&#x27;" in page
    assert "must describe an object" in page
    assert not Action.objects.exists()


def test_a_team_action_overrides_the_settings_one_for_that_team(
    admin: Client, team: Any, other_team: Any
) -> None:
    response = admin.post("/admin/plans/action/add/", form(team))
    assert response.status_code == 302, response.content.decode()[:2000]

    assert actions_for(team)["search"].description == "Our own search"
    assert actions_for(team)["search"].source == "team"
    assert actions_for(other_team)["search"].description == "Finds places in a city."
