"""Webhooks: a signed JSON POST of the payload to the subscription's URL.

Signature (the README shows how receivers check it): the header
`Plangate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
subscription's secret. The target is checked when the subscription is saved and again before
every attempt, on every address its name resolves to: a URL that pointed at the internet when it
was saved may point inside the network by the time it is called.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from plans.models import OutboxMessage
from plans.notifications import Result

USER_AGENT = "Plangate-Webhooks/1"


class TargetRefused(Exception):
    """The URL may not be called: bad scheme, no host, or a non-public address."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" keyed with `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={sign(secret, t, body)}"


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    for what, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        # Last: the flag also covers most of the above.
        ("private", address.is_private),
    ):
        if flag:
            return what
    return ""


def check_target(url: str, *, resolve: bool = True) -> None:
    """Raise TargetRefused unless `url` is http(s) with a host whose every address is public
    (or PLANGATE_WEBHOOK_ALLOW_PRIVATE is set)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"{url!r} is not an http(s) URL with a host")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not hold a user name or password")
    if settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE or not resolve:
        return
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused(f"{url!r} has a bad port") from None
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise TargetRefused(f"cannot resolve {host!r}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        what = _refusal(address)
        if what:
            raise TargetRefused(
                f"{host!r} resolves to {address}, a non-public ({what}) address; webhooks go "
                "to public addresses only (PLANGATE_WEBHOOK_ALLOW_PRIVATE allows others)"
            )


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def send(message: OutboxMessage) -> Result:
    """POST the message's payload, signed. 2xx is delivered; anything else is a failed attempt
    (redirects are not followed: a redirect could lead anywhere the check above refuses)."""
    sub = message.subscription
    try:
        check_target(sub.target)
    except TargetRefused as error:
        return Result(ok=False, error=f"refused: {error}")
    body = body_of(message.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Plangate-Signature": signature_header(sub.secret, body),
        "Plangate-Delivery": str(message.delivery_id),
        "Plangate-Event": message.type,
    }
    # No proxy from the environment: the address checked above is the one called.
    with httpx.Client(
        timeout=settings.PLANGATE_WEBHOOK_TIMEOUT_SECONDS, trust_env=False, follow_redirects=False
    ) as client:
        try:
            answer = client.post(sub.target, content=body, headers=headers)
        except httpx.HTTPError as error:
            return Result(ok=False, error=f"{type(error).__name__}: {error}"[:2000])
    if 200 <= answer.status_code < 300:
        return Result(ok=True, http_status=answer.status_code)
    return Result(
        ok=False,
        http_status=answer.status_code,
        error=f"HTTP {answer.status_code}: {answer.text[:500]}",
    )
