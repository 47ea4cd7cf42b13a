"""The event log names who did what one way, whatever the stored actor string: a reviewer, a
token by its name and prefix, a worker, the system. The API keeps the stored strings."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import services
from tests.factories import WORKER, submit_plan


def actors(body: str) -> list[str]:
    return re.findall(r'<span class="actor">by ([^<]*)</span>', body)


def test_it_names_reviewers_tokens_workers_and_the_system_one_way(
    client: Client, reviewer: Any, team: Any
) -> None:
    token, _ = services.token_create(team=team, name="my-agent", scopes=["plans:decide"])
    plan = submit_plan(team)
    services.plan_approve(plan=plan, actor=services.Actor.for_token(token), version=1)
    services.plan_start(plan=plan, actor=WORKER)
    services.step_skip(plan=plan, key="a", actor=services.Actor.for_user(reviewer), reason="no")
    services.step_skip(plan=plan, key="b", actor=services.Actor(label="demo"), reason="no")
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert list(dict.fromkeys(actors(body))) == [
        "system",
        f"token my-agent (pgt_{token.prefix}…)",
        "worker test",
        "alice (reviewer)",
        "system (demo)",
    ]
    assert "user:alice" not in body and f"token:{token.prefix}" not in body
