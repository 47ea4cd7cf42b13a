"""Times on the pages name their time zone ("2026-11-29 20:41 UTC") and carry the exact instant
in a <time datetime> element: created, approved, events, revisions, comments, a request for
changes, a gate's decision, and how long an item of the inbox has waited."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from plans import services
from plans.discussion import services as discussion
from plans.gates import services as gates
from plans.models import Role
from tests.factories import approve, step, submit_plan
from tests.plans.audit.helpers import member
from tests.plans.gates.support import started
from tests.plans.inbox.helpers import ago, gate

# A zone other than UTC, with no daylight saving: the pages show local times and name the zone.
ELSEWHERE = "Asia/Kolkata"
ZONED = r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? IST</time>"


def section(body: str, dom_id: str) -> str:
    start = body.index(f'id="{dom_id}"')
    return body[start : body.index("</section>", start)]


def local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def test_it_shows_times_with_their_time_zone(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team, title="Zoned"))
    client.force_login(reviewer)
    created = timezone.localtime(plan.created_at)

    detail = client.get(f"/plans/{plan.pk}/").content.decode()
    listing = client.get("/").content.decode()

    shown = f"{created:%Y-%m-%d %H:%M} UTC</time>"
    assert f'<time datetime="{plan.created_at.isoformat()}">{shown}' in detail
    assert shown in listing
    # The approval and every event say it too.
    assert re.search(r"<dt>Approved</dt>.*? UTC</time>", detail, re.S)
    events = section(detail, "plan-events")
    assert (
        len(
            re.findall(
                r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time>", events
            )
        )
        == 2
    )


def test_revisions_comments_and_a_request_for_changes_name_their_time_zone(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.TIME_ZONE = ELSEWHERE
    alice = services.Actor.for_user(reviewer)
    plan = submit_plan(team, [step("a"), step("b", "a")])
    comment = discussion.comment_add(plan=plan, actor=alice, body="Why b?", step_key="b")
    discussion.plan_request_changes(plan=plan, actor=alice, version=1, comment="Fix b.")
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    revision = plan.revisions.get()
    assert re.search(ZONED, section(body, "plan-revisions"))
    assert f"{local(revision.created_at)}:" in section(body, "plan-revisions")
    comments = section(body, "plan-discussion")
    assert len(re.findall(ZONED, comments)) == 2
    assert f">{local(comment.created_at)}" in comments
    start = body.index('class="notice changes-requested"')
    notice = body[start : body.index("</p>", start)]
    assert re.search(rf"Changes requested by .*?{ZONED}:", notice, re.S)


def test_a_gates_decision_names_its_day_and_time_zone(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.TIME_ZONE = ELSEWHERE
    plan = started(team, [step("deploy", approval="required")])
    gates.step_approve(
        plan=plan, key="deploy", actor=services.Actor.for_user(reviewer), version=plan.version
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    decided = plan.steps.get(key="deploy").gate_approved_at
    assert re.search(rf"Approved at its gate by .*?, {ZONED}", body)
    assert f">{local(decided)}" in body


def test_the_inbox_and_the_decisions_page_name_the_time_zone_of_a_wait(
    client: Client, team: Any, settings: Any
) -> None:
    settings.TIME_ZONE = ELSEWHERE
    since = ago(hours=3)
    gate(team, "Deploy service", since=since)
    client.force_login(member(team, "bob", Role.ADMIN))

    inbox = client.get("/inbox").content.decode()
    decisions = client.get(f"/teams/{team.pk}/decisions/").content.decode()

    shown = f"{timezone.localtime(since):%Y-%m-%d %H:%M} IST"
    assert f'title="{shown}">waiting 3 h</time>' in inbox
    assert f'title="since {shown}"' in decisions
