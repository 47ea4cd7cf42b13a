"""The team settings page's Policy section: admins save a new version, see every problem against
its path, and the past versions; others may not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from plans.models import ApiToken, Membership, PolicyVersion, Role, TeamEvent
from tests.factories import UserFactory
from tests.plans.policy.support import put_policy, rule


@pytest.fixture
def admin(team: Any) -> Client:
    user = UserFactory(username="ada")
    Membership.objects.create(team=team, user=user, role=Role.ADMIN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    page = client.get(reverse("plans:team_settings", args=[client.team_id]))  # type: ignore[attr-defined]
    return client.post(url, {**data, "csrfmiddlewaretoken": page.context["csrf_token"]})


def test_an_admin_saves_a_version_and_sees_it_listed(team: Any, admin: Client) -> None:
    admin.team_id = team.pk  # type: ignore[attr-defined]
    document = {"rules": [rule("gate-all", "require_gate")], "permissions": []}

    saved = post(
        admin,
        reverse("plans:team_policy", args=[team.pk]),
        {"base_version": 0, "document": json.dumps(document), "comment": "start gating"},
    )

    assert saved.status_code == 302
    [version] = PolicyVersion.objects.filter(team=team)
    assert version.document == document
    assert version.actor == "user:ada"
    event = TeamEvent.objects.get(team=team, kind="policy.changed")
    assert event.role == Role.ADMIN
    page = admin.get(reverse("plans:team_settings", args=[team.pk])).content.decode()
    assert "Version 1 is in force, by ada (reviewer)" in page
    assert 'id="policy-version-1"' in page
    assert "start gating" in page


def test_every_problem_is_shown_against_its_path(team: Any, admin: Client) -> None:
    admin.team_id = team.pk  # type: ignore[attr-defined]
    document = {
        "rules": [{"name": "x", "when": {"params": {"$.a": {"matches": "("}}}, "action": "nope"}]
    }

    refused = post(
        admin,
        reverse("plans:team_policy", args=[team.pk]),
        {"base_version": 0, "document": json.dumps(document)},
    )

    assert refused.status_code == 422
    page = refused.content.decode()
    assert "Not saved: 2 problems." in page
    assert "<code>rules[0].action</code>: must be one of" in page
    assert "<code>rules[0].when.params.$.a.matches</code>: not a regular expression" in page
    # What the admin typed stays in the textarea.
    assert "&quot;nope&quot;" in page
    assert not PolicyVersion.objects.exists()


def test_text_that_is_not_json_is_refused(team: Any, admin: Client) -> None:
    admin.team_id = team.pk  # type: ignore[attr-defined]

    refused = post(
        admin, reverse("plans:team_policy", args=[team.pk]), {"base_version": 0, "document": "{"}
    )

    assert refused.status_code == 422
    assert "not valid JSON" in refused.content.decode()


def test_a_stale_version_is_refused_and_the_text_kept(team: Any, admin: Client) -> None:
    admin.team_id = team.pk  # type: ignore[attr-defined]
    put_policy(team, [])

    stale = post(
        admin,
        reverse("plans:team_policy", args=[team.pk]),
        {"base_version": 0, "document": '{"rules": [], "permissions": []}'},
    )

    assert stale.status_code == 409
    assert "the policy is at version 1, not 0" in stale.content.decode()


def test_the_form_needs_the_csrf_token(team: Any, admin: Client) -> None:
    refused = admin.post(
        reverse("plans:team_policy", args=[team.pk]), {"base_version": 0, "document": "{}"}
    )

    assert refused.status_code == 403
    assert not PolicyVersion.objects.exists()


def test_a_reviewer_may_not_change_the_policy(team: Any, reviewer: Any) -> None:
    client = Client()
    client.force_login(reviewer)

    refused = client.post(
        reverse("plans:team_policy", args=[team.pk]),
        {"base_version": 0, "document": '{"rules": []}'},
    )

    assert refused.status_code == 403
    assert not PolicyVersion.objects.exists()


def test_a_token_gets_its_agent_role_from_the_token_form(team: Any, admin: Client) -> None:
    admin.team_id = team.pk  # type: ignore[attr-defined]

    created = post(
        admin,
        reverse("plans:team_token_create", args=[team.pk]),
        {"name": "scout", "scopes": ["plans:submit"], "agent_role": "researcher"},
    )

    assert created.status_code == 201
    assert ApiToken.objects.get(name="scout").agent_role == "researcher"
    page = admin.get(reverse("plans:team_settings", args=[team.pk])).content.decode()
    assert "agent role: <code>researcher</code>" in page
