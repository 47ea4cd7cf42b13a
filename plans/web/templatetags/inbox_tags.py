"""The top bar's inbox count."""

from __future__ import annotations

from typing import Any

from django import template

from plans.inbox.selectors import inbox_count_for_user
from plans.selectors import latest_event_id_for_user

register = template.Library()


def _user(context: Any) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def inbox_count(context: Any) -> int:
    """How many items wait for the viewing reviewer (two COUNT queries)."""
    user = _user(context)
    return inbox_count_for_user(user) if user is not None else 0


@register.simple_tag(takes_context=True)
def inbox_log_position(context: Any) -> int:
    """Where the event log stood when the count was read: read before it, so a change
    committing in between is newer than the position and the page's socket reports it."""
    user = _user(context)
    if user is None or not user.is_authenticated:
        return 0
    return latest_event_id_for_user(user)
