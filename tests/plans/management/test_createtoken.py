"""`manage.py createtoken`: prints a working secret once, for an existing team only."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans.models import Team
from tests.conftest import ApiClient


def test_it_prints_a_token_that_works_for_its_team(team: Any) -> None:
    out = io.StringIO()
    call_command(
        "createtoken", "--team", "acme", "--name", "agent", stdout=out, stderr=io.StringIO()
    )
    secret = out.getvalue().strip()
    assert ApiClient(secret).get("/plans").status_code == 200
    assert team.tokens.get().name == "agent"


def test_it_refuses_an_unknown_team(db: Any) -> None:
    with pytest.raises(CommandError, match="no team named 'nobody'"):
        call_command("createtoken", "--team", "nobody", stdout=io.StringIO())
    assert not Team.objects.exists()


def test_it_can_create_the_team(db: Any) -> None:
    call_command(
        "createtoken", "--team", "new", "--create-team", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert Team.objects.get(name="new").tokens.count() == 1


def test_it_gives_the_token_the_scopes_asked_for(team: Any) -> None:
    out = io.StringIO()
    call_command(
        "createtoken",
        "--team",
        "acme",
        "--scope",
        "plans:read",
        "--scope",
        "plans:decide",
        stdout=out,
        stderr=io.StringIO(),
    )
    client = ApiClient(out.getvalue().strip())

    assert team.tokens.get().scopes == ["plans:read", "plans:decide"]
    assert client.get("/plans").status_code == 200
    refused = client.post("/plans", {})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this token lacks the scope plans:submit"


def test_it_gives_submit_and_read_by_default(team: Any) -> None:
    call_command("createtoken", "--team", "acme", stdout=io.StringIO(), stderr=io.StringIO())

    assert team.tokens.get().scopes == ["plans:submit", "plans:read"]


def test_it_refuses_an_unknown_scope(team: Any) -> None:
    with pytest.raises(CommandError, match="unknown scope 'plans:everything'; scopes are: "):
        call_command(
            "createtoken", "--team", "acme", "--scope", "plans:everything", stdout=io.StringIO()
        )
    assert not team.tokens.exists()
