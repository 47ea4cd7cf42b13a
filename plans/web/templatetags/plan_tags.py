"""Template helpers for the plan pages: safe element ids, JSON for <pre>, markdown, badges."""

from __future__ import annotations

import json
import re
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plans.web.rendering import render_markdown

register = template.Library()

# Results and parameters longer than this are cut in the page (the API has them in full).
JSON_DISPLAY_LIMIT = 4000
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9-]")


@register.filter
def step_dom_id(key: str) -> str:
    """A unique, CSS-safe element id for a step key ("fetch.data" -> "step-fetch_2edata").

    Keys may hold dots, spaces or anything else. Every character outside [A-Za-z0-9-] becomes
    "_" and its UTF-8 bytes in hex, "_" included, so two keys never share an id.
    """
    return "step-" + _UNSAFE_ID_CHARS.sub(
        lambda m: "".join(f"_{b:02x}" for b in m.group().encode()), key
    )


@register.filter
def pretty_json(value: Any, limit: int = JSON_DISPLAY_LIMIT) -> str:
    """Indented JSON, cut at `limit` characters. Left unsafe: the template escapes it."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if len(text) > limit:
        return f"{text[:limit]}\n… (cut: {len(text):,} characters in all)"
    return text


@register.filter
def compact_json(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.filter
def markdown(text: str) -> SafeString:
    """Untrusted markdown as sanitized HTML (plans/web/rendering.py)."""
    return render_markdown(text)


@register.simple_tag
def status_badge(obj: Any) -> SafeString:
    """The status of a plan or step as a coloured badge."""
    return format_html(
        '<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display()
    )
