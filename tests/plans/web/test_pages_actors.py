"""The pages name who did what one way, whatever the stored actor string: a reviewer, a token by
its name and prefix, a worker, a policy rule, the system. The event log, the revisions, the
discussion, a request for changes, the approval, a gate's decision and a quorum's approvers all
say it alike. The API keeps the stored strings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from plans import services
from plans.discussion import services as discussion
from plans.gates import services as gates
from plans.models import PlanComment, PlanEvent, PlanRevision, PlanStep
from tests.factories import WORKER, step, submit_plan


def actors(body: str) -> list[str]:
    return re.findall(r'<span class="actor">by ([^<]*)</span>', body)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(body: str, dom_id: str) -> str:
    start = body.index(f'id="{dom_id}"')
    return body[start : body.index("</section>", start)]


def names_on_a_plan_sent_back(body: str) -> dict[str, list[str]]:
    """Who the page names in each place of a plan whose changes were requested."""
    return {
        "revisions": re.findall(
            r'class="muted">by ([^<]*)</span>', section(body, "plan-revisions")
        ),
        "discussion": re.findall(r'class="comment-head">\s*<strong>([^<]*)</strong>', body),
        "step comments": re.findall(r'class="comment-by">([^<]*)</a>', body),
        "change request": re.findall(r"Changes requested by <strong>([^<]*)</strong>", body),
    }


def names_on_a_plan_past_its_gate(body: str) -> dict[str, list[str]]:
    """Who the page names in each place of a running plan whose gate was approved."""
    approval = body[
        body.index('<dd class="approval">') : body.index("</dd>", body.index("<dt>Approved</dt>"))
    ]
    return {
        "approved": re.findall(r"version 1 by <strong>([^<]*)</strong>", approval),
        "gate": re.findall(r"Approved at its gate by (.+?)\s*, (?:\d{4}-|\d\d:)", text(body)),
    }


def token_label(token: Any) -> str:
    return f"token my-agent (pgt_{token.prefix}…)"


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


@pytest.mark.parametrize(
    ("stored", "label"),
    [
        ("user:alice", "alice (reviewer)"),
        # The token is made by the test: its prefix and label are filled in there.
        ("token", "token"),
        ("worker:host-1:42", "worker host-1:42"),
        ("system", "system"),
        ("system:timeout", "system (timeout)"),
        ("policy:cheap", "policy rule cheap"),
    ],
)
def test_every_place_on_the_plan_page_names_an_actor_as_the_event_log_does(
    client: Client, reviewer: Any, team: Any, stored: str, label: str
) -> None:
    token, _ = services.token_create(team=team, name="my-agent", scopes=["plans:decide"])
    if stored == "token":
        stored, label = f"token:{token.prefix}", token_label(token)
    alice = services.Actor.for_user(reviewer)
    sent_back = submit_plan(team, [step("a"), step("b", "a")])
    discussion.comment_add(plan=sent_back, actor=alice, body="Looks odd.")
    discussion.comment_add(plan=sent_back, actor=alice, body="Why b?", step_key="b")
    discussion.plan_request_changes(plan=sent_back, actor=alice, version=1, comment="Fix b.")
    gated = submit_plan(team, [step("deploy", approval="required")])
    services.plan_approve(plan=gated, actor=alice, version=1)
    assert services.plan_start(plan=gated, actor=services.SYSTEM)
    gates.step_approve(plan=gated, key="deploy", actor=alice, version=1)
    # Who did each of these, as it is stored: the pages read the same strings.
    PlanEvent.objects.update(actor=stored)
    PlanComment.objects.update(actor=stored)
    PlanRevision.objects.update(actor=stored)
    PlanStep.objects.filter(plan=gated).update(gate_approved_by=stored)
    client.force_login(reviewer)

    sent_back_page = client.get(f"/plans/{sent_back.pk}/").content.decode()
    gated_page = client.get(f"/plans/{gated.pk}/").content.decode()

    assert set(actors(sent_back_page)) == {label} == set(actors(gated_page))
    assert names_on_a_plan_sent_back(sent_back_page) == {
        "revisions": [label],
        "discussion": [label] * 3,
        "step comments": [label],
        "change request": [label],
    }
    assert names_on_a_plan_past_its_gate(gated_page) == {"approved": [label], "gate": [label]}


def test_a_quorums_approvers_are_named_as_the_event_log_does(
    client: Client, reviewer: Any, team: Any
) -> None:
    token, _ = services.token_create(team=team, name="my-agent", scopes=["plans:decide"])
    plan = submit_plan(team, required_approvals=3)
    services.plan_approve(plan=plan, actor=services.Actor.for_user(reviewer), version=1)
    services.plan_approve(plan=plan, actor=services.Actor.for_token(token), version=1)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()
    inbox = client.get("/inbox").content.decode()

    summary = f"2 of 3 approvals, by alice (reviewer), {token_label(token)}; needs 1 more"
    assert summary in body
    assert summary in inbox
    assert {"alice (reviewer)", token_label(token)} <= set(actors(body))
