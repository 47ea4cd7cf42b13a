"""The Django admin of policy versions: a new version is checked as through the API, recorded
as a team event; past versions are read-only. Tokens get their agent role there too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from plans.models import ApiToken, PolicyVersion, TeamEvent
from tests.factories import UserFactory
from tests.plans.policy.support import put_policy, rule


@pytest.fixture
def root(db: Any) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_it_adds_a_version_through_the_policy_service(team: Any, root: Client) -> None:
    document = {"rules": [rule("gate-all", "require_gate")], "permissions": []}

    added = root.post(
        "/admin/plans/policyversion/add/",
        {"team": team.pk, "base_version": 0, "document": json.dumps(document), "comment": "c"},
    )

    assert added.status_code == 302, added.content.decode()[:2000]
    version = PolicyVersion.objects.get(team=team)
    assert (version.version, version.document, version.actor) == (1, document, "user:root")
    assert TeamEvent.objects.get(team=team).data["added"] == ["gate-all"]


def test_it_shows_every_problem_and_adds_nothing(team: Any, root: Client) -> None:
    put_policy(team, [])
    document = {"rules": [{"name": "x", "when": {}, "action": "nope"}]}

    refused = root.post(
        "/admin/plans/policyversion/add/",
        {"team": team.pk, "base_version": 0, "document": json.dumps(document)},
    )

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "rules[0].action: must be one of" in page
    assert "policy is at version 1 now" in page
    assert PolicyVersion.objects.count() == 1


def test_past_versions_are_read_only(team: Any, root: Client) -> None:
    version = put_policy(team, [rule("gate-all", "require_gate")])

    shown = root.get(f"/admin/plans/policyversion/{version.pk}/change/")
    assert shown.status_code == 200
    assert "gate-all" in shown.content.decode()
    root.post(f"/admin/plans/policyversion/{version.pk}/change/", {"comment": "rewritten"})
    root.post(f"/admin/plans/policyversion/{version.pk}/delete/", {"post": "yes"})

    version.refresh_from_db()
    assert version.comment == ""


def test_a_token_added_in_the_admin_keeps_its_agent_role(team: Any, root: Client) -> None:
    root.post(
        "/admin/plans/apitoken/add/",
        {"team": team.pk, "name": "scout", "scopes": ["plans:submit"], "agent_role": "researcher"},
    )

    assert ApiToken.objects.get(name="scout").agent_role == "researcher"
