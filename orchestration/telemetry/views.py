"""GET /metrics: the database's metrics (collector.py) in Prometheus' text format, for
operators only.

Served to a request that bears `Authorization: Bearer <settings.PLANGATE_METRICS_TOKEN>`
(compared in constant time), or that comes from an address in settings.PLANGATE_METRICS_ALLOW
(CIDRs; loopback by default). The address is the connection's peer as the server sees it
(behind a proxy, what uvicorn's --forwarded-allow-ips lets it believe). Anything else gets 403
and no data.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from orchestration.telemetry import collector

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse(
            "forbidden: a metrics token or an allowed address is required\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(generate_latest(collector.registry()), content_type=CONTENT_TYPE_LATEST)


def allowed(request: HttpRequest) -> bool:
    """Whether the request bears the metrics token or comes from an allowed network."""
    token = settings.PLANGATE_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    # Constant time, so the answer's timing does not give the token away.
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    ):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.PLANGATE_METRICS_ALLOW)))


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            logger.warning("PLANGATE_METRICS_ALLOW: %r is no network; ignored", cidr)
    return tuple(networks)
