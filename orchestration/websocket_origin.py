"""Which pages may open a live-update socket: those a form post would be accepted from.

A WebSocket handshake carries the browser's cookies but no CSRF token, so its Origin header is the
only thing that tells our own pages from another site's page opening a socket as the logged-in
reviewer. The check is Django's CsrfViewMiddleware's Origin check for a POST: the origin must be
this request's own (scheme, Host header in ALLOWED_HOSTS, and port, ws counting as http and wss as
https) or listed in CSRF_TRUSTED_ORIGINS. A refused socket is closed before it is accepted: the
browser sees a failed handshake (HTTP 403).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.utils.http import is_same_domain

from plans.web.consumers import refuse_handshake

# The scheme of the pages served beside a socket: ws is opened from http pages, wss from https
# (a server that applies a proxy's X-Forwarded-Proto may already give http or https). daphne
# gives none: the ASGI default, ws; behind a TLS proxy, SECURE_PROXY_SSL_HEADER or
# CSRF_TRUSTED_ORIGINS tells that the pages are https, as for a form post.
_PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


class SameOriginValidator:
    """ASGI middleware for WebSockets: lets through only handshakes from an allowed origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await refuse_handshake(scope, receive, send)


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether a WebSocket handshake's Origin is one a form post to this server may come from."""
    origins = [value for name, value in scope.get("headers", []) if name == b"origin"]
    if not origins:
        # No Origin: allowed. Browsers send one with every WebSocket handshake, so what the check
        # stops (another site's page opening a socket with the reviewer's cookies) always has
        # one. A client without it is a program, not a page, and still gets nothing without a
        # session cookie it holds itself: the consumers refuse anonymous sockets.
        return True
    if len(origins) > 1:
        return False
    origin = origins[0].decode("latin-1")
    request = _as_http_request(scope)
    try:
        # As Django builds it for a form post: Host (or X-Forwarded-Host with
        # USE_X_FORWARDED_HOST) checked against ALLOWED_HOSTS; https also behind a proxy that
        # says so in SECURE_PROXY_SSL_HEADER.
        own_origin = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    except DisallowedHost:
        pass
    else:
        if origin == own_origin:
            return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {pattern for pattern in trusted if "*" not in pattern}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, pattern.netloc.lstrip("*"))
        for pattern in (urlsplit(pattern) for pattern in trusted if "*" in pattern)
        if pattern.scheme == parsed.scheme
    )


def _as_http_request(scope: dict[str, Any]) -> ASGIRequest:
    """The handshake as the HTTP GET it is, with the scheme of the page that opened it."""
    page_scheme = _PAGE_SCHEMES.get(scope.get("scheme", "ws"), "http")
    http_scope = {**scope, "type": "http", "method": "GET", "scheme": page_scheme}
    return ASGIRequest(http_scope, io.BytesIO())
