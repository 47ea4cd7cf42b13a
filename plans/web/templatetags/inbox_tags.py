"""The top bar's inbox count."""

from __future__ import annotations

from typing import Any

from django import template

from plans.inbox.selectors import inbox_count_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_count(context: Any) -> int:
    """How many items wait for the viewing reviewer (two COUNT queries)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return inbox_count_for_user(user) if user is not None else 0
