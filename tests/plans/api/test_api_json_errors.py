"""Every answer under /api/ is JSON: unknown paths, malformed ids, wrong methods, server errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plans import selectors
from tests.conftest import ApiClient


def test_it_answers_a_malformed_plan_id_with_a_json_404(api: ApiClient) -> None:
    response = api.get("/plans/not-a-uuid")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "not found"}


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api/nothing", "/api/v1/plans/x/approve", "/api", "/api/v1/"]
)
def test_it_answers_unknown_api_paths_with_a_json_404(api: ApiClient, path: str) -> None:
    response = api.client.get(path, headers=api.headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "not found"}


def test_it_answers_the_redirect_to_a_trailing_slash_with_json(api: ApiClient) -> None:
    response = api.client.get("/api/v1", headers=api.headers)
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/"
    assert response.json() == {"detail": "moved permanently: /api/v1/"}


def test_it_answers_a_wrong_method_with_a_json_405_naming_the_allowed_ones(api: ApiClient) -> None:
    response = api.client.delete("/api/v1/plans", headers=api.headers)
    assert response.status_code == 405
    assert response.json() == {"detail": "method not allowed; allowed: GET, POST"}
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_a_server_error_with_json_and_no_traceback(
    api: ApiClient, settings: Any, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    settings.DEBUG = debug

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "plan_list_for_team", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/plans", headers=api.headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_pages_outside_the_api_keep_their_html_404(db: Any) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
