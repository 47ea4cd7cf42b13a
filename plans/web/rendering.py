"""Markdown from plans (untrusted: agents write it) rendered to HTML that is safe to show.

Two layers, so that a gap in one is not a hole: markdown-it-py with raw HTML off (any HTML in the
text comes out escaped, and it refuses javascript:/vbscript:/data: links), then nh3 keeps only the
tags and attributes below and only http(s)/mailto URLs. Images are not allowed: an image from an
untrusted plan would make every reviewer's browser fetch a URL the agent chose, so an image
becomes a link the reviewer may follow.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "a",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Links in plans lead off-site to places an agent chose: no referrer, no opener, no endorsement.
LINK_REL = "noopener noreferrer nofollow"


def _image_as_link(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">image: {escapeHtml(alt)}</a>'


_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_markdown.add_render_rule("image", _image_as_link)


def render_markdown(text: str) -> SafeString:
    """`text` as sanitized HTML, safe to put in a page as is."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - sanitized by nh3 just above
