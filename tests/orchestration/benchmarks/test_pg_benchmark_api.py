"""The benchmark measures the API on the production server and on a single daphne process."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from plans.models import Plan, Team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_prints_api_requests_per_second_and_latency_for_both_servers() -> None:
    out = StringIO()
    call_command("benchmark", "--parts=api", "--api-seconds=0.5", "--api-clients=4", stdout=out)
    text = out.getvalue()
    assert "API at 4 concurrent clients" in text, text
    figures = r"\s+\d+ requests/s, p50\s+[\d.]+ ms, p99\s+[\d.]+ ms"
    for server in (r"uvicorn, 2 worker processes:", r"daphne, 1 process:"):
        for request in ("plan read", "plan submit"):
            assert re.search(rf"{server}\s+{request}{figures}", text), text
    assert "steps/s" not in text
    # The plans it submitted through the API are gone with its team.
    assert not Plan.objects.exists()
    assert not Team.objects.exists()
