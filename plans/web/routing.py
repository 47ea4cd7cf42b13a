from __future__ import annotations

from django.urls import path, re_path

from plans.web import consumers

websocket_urlpatterns = [
    path("ws/plans/", consumers.PlanListConsumer.as_asgi()),
    path("ws/plans/<uuid:plan_id>/", consumers.PlanConsumer.as_asgi()),
    path("ws/inbox/", consumers.InboxCountConsumer.as_asgi()),
    # Last, matching any path: an address no page uses is refused in the handshake, instead of
    # reaching the end of the router, which raises (an HTTP 500 and a traceback in the log).
    # Channels' router takes any ASGI app where Django's stubs expect a view.
    re_path(r"", consumers.refuse_handshake),  # type: ignore[arg-type]
]
