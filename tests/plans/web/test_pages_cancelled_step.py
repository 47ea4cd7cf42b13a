"""A step that was running when its plan was cancelled says "Cancelled" once, not "Cancelled
cancelled"."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import services
from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import WORKER, approve, claim, step, submit_plan


def test_it_says_cancelled_once_for_a_step_cancelled_while_running(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=plan, actor=WORKER)
    claim(plan, "a")
    services.plan_cancel(plan=plan, actor=services.Actor.for_user(reviewer), reason="")
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()
    start = body.index(f'<tr id="{step_dom_id("a")}"')
    row = " ".join(re.sub(r"<[^>]+>", " ", body[start : body.index("</tr>", start)]).split())

    assert "Cancelled" in row
    assert not re.search(r"cancelled\s+cancelled", row, re.I), row
