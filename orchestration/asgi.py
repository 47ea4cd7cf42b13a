"""ASGI entry point: HTTP through Django (but /mcp, the MCP server), WebSockets through Channels.

WebSockets are origin-checked as a form post would be (orchestration/websocket_origin.py) and
authenticated from the session.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestration.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from orchestration.websocket_origin import SameOriginValidator  # noqa: E402
from plans.mcp.app import PATH as MCP_PATH  # noqa: E402
from plans.mcp.app import McpApp  # noqa: E402
from plans.web.routing import websocket_urlpatterns  # noqa: E402

mcp_app = McpApp()


async def http_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """/mcp (and below it) to the MCP server, every other path to Django."""
    path = scope["path"]
    if path == MCP_PATH or path.startswith(f"{MCP_PATH}/"):
        await mcp_app(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far (Django, the apps, the URL and schema machinery) lives as long as the
# process: frozen, the collector stops walking it on each of its full passes, which a request
# making tens of thousands of objects (a 10,000-step plan) sets off several times.
gc.collect()
gc.freeze()
