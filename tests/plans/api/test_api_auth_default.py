"""An operation that names no scope is closed: the routers' default auth refuses every token
with 403, so forgetting `auth=needs(...)` can never open an endpoint to every token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Router
from ninja.testing import TestClient

from plans import services
from plans.api.auth import TokenAuth, needs
from plans.api.errors import install_error_handlers
from plans.models import Scope


def client() -> TestClient:
    router = Router(auth=TokenAuth())

    @router.get("/forgotten")
    def forgotten(request: HttpRequest) -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/named", auth=needs(Scope.READ))
    def named(request: HttpRequest) -> dict[str, str]:
        return {"ok": "yes"}

    api = NinjaAPI(urls_namespace="scope-default-test")
    install_error_handlers(api)
    api.add_router("", router)
    return TestClient(api)


def test_it_refuses_every_token_on_an_operation_without_a_scope(team: Any) -> None:
    _, raw = services.token_create(team=team, name="all", scopes=list(Scope.values))
    headers = {"Authorization": f"Bearer {raw}"}
    test_client = client()

    forgotten = test_client.get("/forgotten", headers=headers)
    named = test_client.get("/named", headers=headers)

    assert forgotten.status_code == 403
    assert forgotten.json() == {
        "detail": "this operation declares no scope, so no token may call it"
    }
    assert named.status_code == 200
    assert test_client.get("/named").status_code == 401
