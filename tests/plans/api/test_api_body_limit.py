"""A body over PLANGATE_MAX_BODY_BYTES is a 413 naming the limit."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.conftest import ApiClient


def test_it_refuses_a_body_over_the_limit_with_413_naming_the_limit(
    api: ApiClient, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"goal": "x" * 2000, "user_id": "u", "topic_id": "t", "steps": [{"key": "a"}]}
    response = api.post("/plans", body)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "request body exceeds the limit of 1000 bytes",
        "max_bytes": 1000,
    }
    assert not Plan.objects.exists()
