"""The OpenAPI schema and docs page describe every endpoint, with no assets from a CDN."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_the_schema_lists_every_endpoint(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/{plan_id}/approve",
        "/api/v1/plans/{plan_id}/cancel",
        "/api/v1/plans/{plan_id}/steps/{key}/skip",
        "/api/v1/plans/{plan_id}/steps/{key}/approve",
        "/api/v1/plans/{plan_id}/steps/{key}/retry",
        "/api/v1/plans/{plan_id}/fail",
        "/api/v1/plans/{plan_id}/deadline",
        "/api/v1/plans/{plan_id}/artifacts",
        "/api/v1/plans/{plan_id}/events",
        "/api/v1/plans/{plan_id}/checkpoint",
        "/api/v1/plans/{plan_id}/revisions",
        "/api/v1/plans/{plan_id}/revisions/{version}",
        "/api/v1/plans/{plan_id}/diff",
        "/api/v1/plans/{plan_id}/request-changes",
        "/api/v1/plans/{plan_id}/comments",
        "/api/v1/executors",
        "/api/v1/inbox",
        "/api/v1/inbox/approve",
        "/api/v1/slack/interactions",
        "/api/v1/audit",
        "/api/v1/policy",
        "/api/v1/plans/{plan_id}/budget",
        "/api/v1/usage",
        "/api/v1/plans/{plan_id}/events/stream",
        "/api/v1/plans/{plan_id}/wait",
        "/api/v1/actions",
        "/api/v1/plans/{plan_id}/inputs",
        "/api/v1/plans/propose",
        "/api/v1/plans/{plan_id}/inputs/parse",
    }
    assert set(paths["/api/v1/plans"]) == {"get", "post"}
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
    assert paths["/api/v1/plans"]["get"]["security"] == [{"TokenAuth": []}]


def test_the_docs_page_serves_its_assets_locally(db: Any) -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/" in page
    assert "cdn" not in page.lower()
