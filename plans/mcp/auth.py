"""Bearer API tokens for the MCP server: the JSON API's tokens, checked by the SDK's bearer
middleware before any MCP processing, and again (with the tool's scope) by each tool."""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver.exceptions import ToolError

from plans import tokens
from plans.models import ApiToken
from plans.streaming.reads import off_loop


class ApiTokenVerifier:
    """The SDK's TokenVerifier over plans.tokens: an unknown or revoked token is refused (401
    with `WWW-Authenticate: Bearer`) before the request reaches the MCP transport."""

    async def verify_token(self, token: str) -> AccessToken | None:
        found = await off_loop(tokens.authenticate)(token)
        if found is None:
            return None
        return AccessToken(
            token=token,
            client_id=f"token:{found.prefix}",
            scopes=list(found.scopes),
            claims={"team_id": found.team_id},
        )


def raw_token() -> str:
    """The bearer token of the request being served (the SDK hands the request's context on to
    the tool that answers it)."""
    access = get_access_token()
    if access is None:
        # Unreachable behind the bearer middleware; a tool must still not run without a token.
        raise ToolError("Unauthorized: no bearer token")
    return access.token


def token_with_scope(raw: str, scope: str) -> ApiToken:
    """The token again, as the API reads it on every request (a token revoked since the request
    came in is refused), with the scope a tool needs. Raises ToolError naming what is missing."""
    token = tokens.authenticate(raw)
    if token is None:
        raise ToolError("Unauthorized: the token is unknown or revoked")
    if not token.has_scope(scope):
        raise ToolError(f"this token lacks the scope {scope}")
    return token
