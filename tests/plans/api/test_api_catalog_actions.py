"""GET /api/v1/actions: the team's catalog with its schemas."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Action
from tests.conftest import ApiClient
from tests.plans.catalog.support import ACTIONS


@pytest.fixture(autouse=True)
def catalog(settings: Any) -> None:
    """The test catalog (tests/plans/catalog/support.py), as the catalog's and the bindings' tests
    have it."""
    settings.PLANGATE_ACTIONS = ACTIONS


def test_it_lists_the_teams_actions_with_their_schemas(
    api: ApiClient, team: Any, other_team: Any
) -> None:
    Action.objects.create(
        team=team,
        name="file_ticket",
        description="Opens a ticket",
        executor="echo",
        input_schema={"type": "object", "properties": {"title": {"type": "string"}}},
    )
    Action.objects.create(
        team=other_team, name="secret", executor="echo", input_schema={"type": "object"}
    )

    response = api.get("/actions")

    assert response.status_code == 200
    actions = {a["name"]: a for a in response.json()}
    assert set(actions) == {"file_ticket", "search", "summarise"}
    assert actions["search"]["input_schema"]["required"] == ["city"]
    assert actions["search"]["output_schema"]["type"] == "object"
    assert actions["search"]["source"] == "settings"
    assert actions["file_ticket"]["source"] == "team"
    assert actions["file_ticket"]["description"] == "Opens a ticket"
