from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    """The reviewer pages as an app of their own, so that their template tags
    (`{% load plan_tags %}`) live beside the views that use them."""

    name = "plans.web"
    label = "plans_web"
    verbose_name = "Plan pages"
