"""The team settings page: for the team's admins only; members and roles, tokens with scopes
(the secret shown once), and the team's rules."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from plans.models import ApiToken, Membership, Role, Team
from tests.conftest import ApiClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(team: Team) -> Any:
    user = UserFactory(username="ada")
    Membership.objects.create(team=team, user=user, role=Role.ADMIN)
    return user


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def settings_url(team: Team) -> str:
    return f"/teams/{team.pk}/settings/"


def test_it_links_admins_to_the_page_and_no_one_else(team: Team, admin: Any, reviewer: Any) -> None:
    assert settings_url(team) in logged_in(admin).get("/").content.decode()
    assert settings_url(team) not in logged_in(reviewer).get("/").content.decode()


def test_it_refuses_a_reviewer_and_hides_other_teams(
    team: Team, other_team: Team, admin: Any, reviewer: Any
) -> None:
    refused = logged_in(reviewer).get(settings_url(team))
    assert refused.status_code == 403
    assert "alice is not an admin of acme" in refused.content.decode().lower()
    assert logged_in(admin).get(settings_url(other_team)).status_code == 404
    assert logged_in(reviewer).post(f"{settings_url(team)}rules", {}).status_code == 403


def test_it_changes_a_members_role(team: Team, admin: Any, reviewer: Any) -> None:
    membership = Membership.objects.get(team=team, user=reviewer)
    browser = logged_in(admin)

    page = browser.get(settings_url(team)).content.decode()
    assert "alice" in page

    response = browser.post(
        f"{settings_url(team)}members/{membership.pk}/role", {"role": "viewer"}, follow=True
    )

    assert "alice is now viewer." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_it_keeps_the_last_admin(team: Team, admin: Any) -> None:
    membership = Membership.objects.get(team=team, user=admin)
    browser = logged_in(admin)

    demoted = browser.post(f"{settings_url(team)}members/{membership.pk}/role", {"role": "viewer"})
    removed = browser.post(f"{settings_url(team)}members/{membership.pk}/remove")

    assert demoted.status_code == 409
    assert "a team keeps at least one admin" in demoted.content.decode()
    assert removed.status_code == 409
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_it_adds_an_existing_user_and_says_when_there_is_none(team: Team, admin: Any) -> None:
    UserFactory(username="bob")
    browser = logged_in(admin)

    added = browser.post(f"{settings_url(team)}members", {"username": "bob", "role": "viewer"})
    missing = browser.post(f"{settings_url(team)}members", {"username": "nobody", "role": "viewer"})

    assert added.status_code == 302
    assert Membership.objects.get(team=team, user__username="bob").role == Role.VIEWER
    assert missing.status_code == 422
    assert "no user named &#x27;nobody&#x27;" in missing.content.decode()


def test_it_shows_a_new_tokens_secret_once_with_its_scopes(team: Team, admin: Any) -> None:
    browser = logged_in(admin)

    response = browser.post(
        f"{settings_url(team)}tokens", {"name": "reader", "scopes": ["plans:read"]}
    )

    assert response.status_code == 201
    body = response.content.decode()
    secret = re.search(r'<code id="new-token-secret">([^<]+)</code>', body)
    assert secret
    token = ApiToken.objects.get(name="reader")
    assert token.scopes == ["plans:read"]
    assert secret.group(1) not in token.hashed_secret
    client = ApiClient(secret.group(1))
    assert client.get("/plans").status_code == 200
    assert client.post("/plans", {}).status_code == 403
    # Never again: the page lists the token by its prefix only.
    again = browser.get(settings_url(team)).content.decode()
    assert token.prefix in again
    assert secret.group(1) not in again


def test_it_revokes_a_token(team: Team, admin: Any) -> None:
    browser = logged_in(admin)
    browser.post(f"{settings_url(team)}tokens", {"name": "old", "scopes": ["plans:read"]})
    token = ApiToken.objects.get(name="old")

    browser.post(f"{settings_url(team)}tokens/{token.pk}/revoke")

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_it_saves_the_teams_rules_and_refuses_impossible_ones(team: Team, admin: Any) -> None:
    browser = logged_in(admin)

    saved = browser.post(
        f"{settings_url(team)}rules",
        {"separate_duties": "on", "required_approvals": 2, "max_required_approvals": 3},
    )
    refused = browser.post(
        f"{settings_url(team)}rules", {"required_approvals": 4, "max_required_approvals": 3}
    )

    assert saved.status_code == 302
    assert refused.status_code == 422
    assert "must be at most the team&#x27;s maximum (3)" in refused.content.decode()
    team.refresh_from_db()
    assert (team.separate_duties, team.required_approvals, team.max_required_approvals) == (
        True,
        2,
        3,
    )


def test_it_links_the_settings_and_the_decisions_pages_both_ways(client: Any, team: Any) -> None:
    admin = UserFactory(username="ada")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    client.force_login(admin)

    settings_page = client.get(f"/teams/{team.pk}/settings/").content.decode()
    decisions_page = client.get(f"/teams/{team.pk}/decisions/").content.decode()

    assert f'href="/teams/{team.pk}/decisions/"' in settings_page
    assert f'href="/teams/{team.pk}/settings/"' in decisions_page
