"""The MCP server's ASGI app, for orchestration/asgi.py to mount at /mcp.

Streamable HTTP in stateless mode: every request stands alone (no session kept in one process's
memory), so any process of a multi-process server can answer any request, as for the API.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from django.conf import settings
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.middleware.authentication import AuthenticationMiddleware

from plans.mcp import tools
from plans.mcp.auth import ApiTokenVerifier

PATH = "/mcp"
INSTRUCTIONS = (
    "Plangate: a person reviews and approves an agent's plan before it runs. Submit a plan "
    "(submit_plan, or propose_plan to have one made from a goal), wait for the reviewer's "
    "decision (wait_for_decision), supply inputs the plan still needs (supply_inputs), and read "
    "the plan and its steps' results (get_plan). list_actions gives the actions steps may name."
)


def build_server() -> MCPServer:
    server = MCPServer("plangate", instructions=INSTRUCTIONS)
    tools.register(server)
    return server


def transport_security() -> TransportSecuritySettings:
    """DNS-rebinding protection from Django's settings: a Host header that is one of
    ALLOWED_HOSTS (any port), and an Origin, when there is one, on such a host or in
    CSRF_TRUSTED_ORIGINS. ALLOWED_HOSTS `*` checks neither, as Django checks no host then; a
    `.example.com` entry allows example.com itself (the SDK has no subdomain wildcards)."""
    names = [host.lstrip(".") for host in settings.ALLOWED_HOSTS]
    if "*" in names:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = [pattern for name in names for pattern in (name, f"{name}:*")]
    origins = [f"{scheme}://{host}" for scheme in ("http", "https") for host in hosts] + [
        origin for origin in settings.CSRF_TRUSTED_ORIGINS if "*" not in origin
    ]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class McpApp:
    """The MCP server as an ASGI app: bearer token first (401 before any MCP processing), then
    the SDK's Streamable HTTP transport.

    The SDK's session manager must run (`session_manager.run()`, a task group its requests are
    served in) before it serves anything, which an ASGI lifespan would start; daphne sends no
    lifespan events. So the first request starts it, in a task of its own on the server's
    event loop, and it runs for the life of the process.
    """

    def __init__(self, server: MCPServer | None = None) -> None:
        self.server = server or build_server()
        starlette_app = self.server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            transport_security=transport_security(),
        )
        self.manager: StreamableHTTPSessionManager = self.server.session_manager
        self.app: Any = AuthenticationMiddleware(
            RequireAuthMiddleware(AuthContextMiddleware(starlette_app), required_scopes=[]),
            backend=BearerAuthBackend(ApiTokenVerifier()),
        )
        self._ready: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self._running()
        await self.app(scope, receive, send)

    async def _running(self) -> None:
        if self._runner is None:
            self._ready = asyncio.Event()
            # An empty context: the manager's tasks must not inherit the first request's
            # context variables (its authenticated token) and hand them to later requests.
            self._runner = asyncio.create_task(self._run(), context=contextvars.Context())
        assert self._ready is not None  # noqa: S101 - set with the runner
        await self._ready.wait()
        if self._failure is not None:
            raise RuntimeError("the MCP session manager did not start") from self._failure

    async def _run(self) -> None:
        assert self._ready is not None  # noqa: S101 - set before the task starts
        try:
            async with self.manager.run():
                self._ready.set()
                # Until the process ends: the event loop cancels this task at shutdown.
                await asyncio.Event().wait()
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._ready.set()
