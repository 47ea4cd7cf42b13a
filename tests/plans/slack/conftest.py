"""A Slack stand-in for every test here, with Plangate's Slack settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.plans.slack.standin import BOT_TOKEN, SIGNING_SECRET, SlackStandIn, serve


@pytest.fixture
def slack(settings: Any) -> Iterator[SlackStandIn]:
    standin = SlackStandIn()
    server = serve(standin)
    settings.PLANGATE_SLACK_API_URL = standin.url
    settings.PLANGATE_SLACK_BOT_TOKEN = BOT_TOKEN
    settings.PLANGATE_SLACK_SIGNING_SECRET = SIGNING_SECRET
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def alice(reviewer: Any, team: Any, slack: SlackStandIn) -> Any:
    """alice, a reviewer in acme, whose Slack account (U_ALICE) has her email in other case."""
    reviewer.email = "Alice@Example.com"
    reviewer.save(update_fields=["email"])
    slack.emails["U_ALICE"] = "alice@example.com"
    return reviewer
