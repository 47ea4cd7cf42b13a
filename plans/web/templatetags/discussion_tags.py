"""Template helpers for the plan page's discussion."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def actor_name(actor: str) -> str:
    """Who wrote it, as a reader says it: "alice" for "user:alice", "token pgt_ab12" for a
    token."""
    kind, _, name = actor.partition(":")
    if not name:
        return actor
    return name if kind == "user" else f"{kind} {name}"
