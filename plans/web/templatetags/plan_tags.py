"""Template helpers for the plan pages: safe element ids, JSON for <pre>, markdown, badges, times
with their time zone, and who did what, named one way on every page."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plans import actors
from plans.approvals.selectors import Quorum
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


@register.simple_tag(takes_context=True)
def step_href(context: template.Context, key: str, prefix: str = "") -> str:
    """A link to a step's row (or to the element `prefix` + its row's id) on the plan page: on a
    plan shown in pages (plans/web/step_pages.py), to the page holding it."""
    page = context.get("steps_page")
    if page is None:
        return f"#{prefix}{step_dom_id(key)}"
    return str(page.href(key, prefix))


@register.filter
def page_query(page: Any, number: int) -> str:
    """The query string of another page of a plan's steps (plans/web/step_pages.py)."""
    return str(page.query(number))


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


@register.filter
def zoned(value: datetime | None, fmt: str = "Y-m-d H:i T") -> str:
    """A moment as text in the server's time zone, naming it ("2026-11-29 20:41 UTC"): for
    attributes such as a tooltip."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return dateformat.format(local, fmt)


@register.simple_tag
def when(value: datetime | None, fmt: str = "Y-m-d H:i T") -> SafeString | str:
    """A moment as `<time>`, shown in the server's time zone and naming it ("2026-11-29 20:41
    UTC"), with the exact instant in its datetime attribute."""
    if value is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), zoned(value, fmt))


@register.filter
def step_error(step: Any) -> str:
    """A failed step's error text, unless it only repeats its failure class (a cancelled step's
    error is "cancelled", shown beside its "Cancelled" label)."""
    error = str(step.error or "")
    if step.failure_class and error.strip().lower() in {
        str(step.failure_class).lower(),
        str(step.get_failure_class_display()).lower(),
    }:
        return ""
    return error


@register.filter
def actor_label(actor: str, tokens: Mapping[str, str] | None = None) -> str:
    """Who did something, one way on every page (plans/actors.py): "alice (reviewer)", "token
    my-agent (pgt_ab12cd…)", "worker host:1234", "policy rule cheap", "system". `tokens` names
    the team's tokens by prefix."""
    return actors.actor_label(actor, tokens)


@register.filter
def quorum_summary(quorum: Quorum, tokens: Mapping[str, str] | None = None) -> str:
    """A quorum's progress with its approvers named as actor_label names them: "1 of 2
    approvals, by alice (reviewer); needs 1 more from finance"."""
    return quorum.summary_for(tokens)
