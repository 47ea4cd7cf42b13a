"""The reviewer pages are for logged-in reviewers only; logging in and out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import submit_plan


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/"),
        ("get", "/plans/{id}/"),
        ("get", "/plans/{id}/live?after=0"),
        ("post", "/plans/{id}/approve"),
        ("post", "/plans/{id}/cancel"),
        ("post", "/plans/{id}/skip"),
    ],
)
def test_it_sends_anonymous_visitors_to_the_login_page(
    client: Client, team: Any, method: str, path: str
) -> None:
    plan = submit_plan(team)
    url = path.format(id=plan.pk)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_logs_a_reviewer_in_and_back_out(client: Client, reviewer: Any) -> None:
    page = client.get("/accounts/login/?next=/")
    assert page.status_code == 200
    assert b'name="password"' in page.content

    wrong = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert b"didn't match" in wrong.content

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests", "next": "/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert b"alice" in client.get("/").content

    assert client.get("/accounts/logout/").status_code == 405  # logging out takes a POST
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
