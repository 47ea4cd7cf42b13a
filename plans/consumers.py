from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer


class PlanListConsumer(AsyncWebsocketConsumer):
    pass


class PlanConsumer(AsyncWebsocketConsumer):
    pass
