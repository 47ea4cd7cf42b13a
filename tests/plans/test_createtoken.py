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
