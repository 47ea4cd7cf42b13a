from __future__ import annotations

from django.urls import path

from plans.web import consumers

websocket_urlpatterns = [
    path("ws/plans/", consumers.PlanListConsumer.as_asgi()),
    path("ws/plans/<uuid:plan_id>/", consumers.PlanConsumer.as_asgi()),
]
