"""/metrics answers only a request bearing the metrics token or coming from an allowed
network; anyone else gets 403 and no data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.9"


def get(client, address, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/metrics", REMOTE_ADDR=address, headers=headers)


def test_it_refuses_a_request_from_outside_without_the_token(client):
    response = get(client, OUTSIDE)
    assert response.status_code == 403
    assert b"plangate_" not in response.content


def test_it_answers_loopback_by_default(client):
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        response = get(client, address)
        assert response.status_code == 200, address
        assert b"plangate_plans" in response.content


def test_it_answers_the_token_from_anywhere_and_refuses_a_wrong_one(client, settings):
    settings.PLANGATE_METRICS_TOKEN = "s3cret-scrape-token"
    assert get(client, OUTSIDE, "s3cret-scrape-token").status_code == 200
    for wrong in ("s3cret-scrape-tokem", "", "s3cret", "s3cret-scrape-token-and-more"):
        response = get(client, OUTSIDE, wrong)
        assert response.status_code == 403, wrong
        assert b"plangate_" not in response.content
    other_scheme = client.get(
        "/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Basic s3cret-scrape-token"}
    )
    assert other_scheme.status_code == 403


def test_no_token_is_accepted_when_none_is_set(client, settings):
    settings.PLANGATE_METRICS_TOKEN = ""
    assert get(client, OUTSIDE, "").status_code == 403


def test_it_answers_the_networks_allowed_and_only_those(client, settings):
    settings.PLANGATE_METRICS_ALLOW = ["10.20.0.0/16", "2001:db8::/32"]
    assert get(client, "10.20.3.4").status_code == 200
    assert get(client, "2001:db8::7").status_code == 200
    assert get(client, "10.21.0.1").status_code == 403
    assert get(client, "127.0.0.1").status_code == 403


def test_it_takes_only_reads(client):
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405
