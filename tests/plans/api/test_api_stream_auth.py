"""Both long waits are guarded like every other read: 401 without a valid token, 403 without
plans:read, 404 for another team's plan (the same as for no plan), 422 for a bad resume id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from plans import services
from plans.models import Scope
from tests.conftest import ApiClient
from tests.factories import submit_plan

PATHS = ["/plans/{id}/events/stream", "/plans/{id}/wait?timeout=0"]


@pytest.mark.parametrize("path", PATHS)
def test_it_refuses_a_missing_or_bad_token(team: Any, path: str) -> None:
    plan = submit_plan(team)
    url = "/api/v1" + path.format(id=plan.pk)
    assert Client().get(url).status_code == 401
    bad = Client().get(url, headers={"Authorization": "Bearer pgt_nope_nope"})
    assert bad.status_code == 401
    assert bad.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize("path", PATHS)
def test_it_refuses_a_token_without_read(team: Any, path: str) -> None:
    plan = submit_plan(team)
    _, raw = services.token_create(team=team, name="submitter", scopes=[Scope.SUBMIT])
    answer = ApiClient(raw).get(path.format(id=plan.pk))
    assert answer.status_code == 403
    assert answer.json() == {"detail": "this token lacks the scope plans:read"}


@pytest.mark.parametrize("path", PATHS)
def test_it_hides_another_teams_plan(team: Any, other_api: ApiClient, path: str) -> None:
    plan = submit_plan(team)
    theirs = other_api.get(path.format(id=plan.pk))
    missing = other_api.get(path.format(id=uuid.uuid4()))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "plan not found"}


def test_it_refuses_a_last_event_id_that_is_not_an_event_id(team: Any, api: ApiClient) -> None:
    plan = submit_plan(team)
    answer = api.client.get(
        f"/api/v1/plans/{plan.pk}/events/stream",
        headers={**api.headers, "Last-Event-ID": "yesterday"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]
