"""A token created in the admin is shown once, in the page itself: never in a cookie or the
session, where it would travel again with later requests and sit in logs along the way."""

from __future__ import annotations

import re
import zlib
from typing import Any
from urllib.parse import unquote

import pytest
from django.contrib.sessions.models import Session
from django.core.signing import b64_decode
from django.test import Client

from plans.models import ApiToken
from plans.tokens import hash_token
from tests.conftest import ApiClient
from tests.factories import UserFactory


@pytest.fixture
def admin_client_(db: Any) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def readable(cookie_value: str) -> str:
    """What anyone holding the cookie can read: it is signed, not encrypted."""
    value = unquote(cookie_value).strip('"')
    texts = [value]
    payload = value.split(":", 1)[0]
    compressed = payload.startswith(".")
    try:
        data = b64_decode(payload.lstrip(".").encode())
        texts.append((zlib.decompress(data) if compressed else data).decode(errors="replace"))
    except (ValueError, zlib.error):
        pass
    return "\n".join(texts)


def test_it_shows_a_new_token_in_the_page_and_never_in_a_cookie_or_the_session(
    admin_client_: Client, team: Any
) -> None:
    # Every response of the flow: redirects followed by hand, so none of their cookies is missed.
    hops = [
        admin_client_.post(
            "/admin/plans/apitoken/add/",
            {"team": team.pk, "name": "agent", "scopes": ["plans:submit", "plans:read"]},
        )
    ]
    while hops[-1].status_code in (301, 302, 303) and len(hops) < 5:
        hops.append(admin_client_.get(hops[-1]["Location"]))
    page = hops[-1]

    assert page.status_code == 200
    body = page.content.decode()
    match = re.search(r"pgt_[0-9a-f]+_[\w-]+", body)
    assert match, "the page shows the new token"
    secret = match.group(0)
    assert "Copy it now" in body and "will not be shown again" in body
    assert "no-store" in page["Cache-Control"]
    assert ApiClient(secret).get("/plans").status_code == 200

    for hop in hops:
        for morsel in hop.cookies.values():
            assert secret not in readable(morsel.value), f"cookie {morsel.key} holds the token"
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())

    token = ApiToken.objects.get(name="agent")
    assert token.hashed_secret == hash_token(secret)
    assert secret not in token.hashed_secret

    # Shown once: neither the token's own page nor the next admin page shows it again.
    assert secret not in admin_client_.get(f"/admin/plans/apitoken/{token.pk}/change/").text
    assert secret not in admin_client_.get("/admin/plans/apitoken/").text
