"""Who calls the API: a bearer token, and the scope each endpoint needs of it.

Every operation names its scope with one argument, `auth=needs(Scope.READ)` (or SUBMIT, DECIDE)
in its route decorator. A token without that scope is answered 403 naming it; a missing, unknown
or revoked token 401. The routers' default, `TokenAuth()`, names no scope and so refuses every
token with 403: an operation that forgets to say what it needs is closed, not open.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from plans import tokens
from plans.models import ApiToken, Scope
from plans.streaming.reads import off_loop


class MissingScope(Exception):
    """The token is valid but lacks the scope the operation needs (answered 403)."""

    def __init__(self, message: str, *, scope: str) -> None:
        super().__init__(message)
        self.scope = scope


class TokenAuth(HttpBearer):
    """A bearer token that must hold `scope`; with none, no token is let through."""

    def __init__(self, scope: Scope | None = None, *, asynchronous: bool = False) -> None:
        super().__init__()
        self.scope = scope
        # django-ninja awaits the call of an auth whose `is_async` is true.
        self.is_async = asynchronous

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return off_loop(super().__call__)(request)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token)
        if found is None:
            return None
        if self.scope is None:
            raise MissingScope(
                "this operation declares no scope, so no token may call it", scope=""
            )
        if not found.has_scope(self.scope):
            raise MissingScope(
                f"this token lacks the scope {self.scope.value}", scope=self.scope.value
            )
        return found


def needs(scope: Scope) -> TokenAuth:
    """The `auth` of an operation that needs `scope`: `@router.get(..., auth=needs(Scope.READ))`."""
    return TokenAuth(scope)


def needs_async(scope: Scope) -> TokenAuth:
    """`needs(scope)` for an `async def` operation (the long waits): the token is looked up off
    the event loop and the database connection closed after, so a request that then waits for
    minutes holds no connection."""
    return TokenAuth(scope, asynchronous=True)
