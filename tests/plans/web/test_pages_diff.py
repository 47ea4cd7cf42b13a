"""The diff page and the revisions list on the plan page."""

from __future__ import annotations

from typing import Any

from django.test import Client

from plans.revisions.services import RevisionDraft, plan_revise
from plans.services import Actor
from tests.factories import step, submit_plan


def test_it_shows_old_values_struck_and_new_ones_marked(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a", params={"q": {"limit": 10}}), step("b", "a")])
    plan_revise(
        plan=plan,
        actor=Actor(label="user:bob"),
        draft=RevisionDraft(
            base_version=1,
            steps=[step("a", params={"q": {"limit": 50}}), step("c", "a", task="Send it")],
            comment="bigger batch",
        ),
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/diff?from=1&to=2").content.decode()

    assert "Version 1 → version 2" in body
    assert '<span class="diff-label">params.q.limit</span>' in body
    assert '<del class="diff-old"><code>10</code></del>' in body
    assert '<ins class="diff-new"><code>50</code></ins>' in body
    assert "Send it" in body  # step c added
    assert '<span class="diff-tag diff-tag-removed">removed</span>' in body  # step b


def test_the_plan_page_lists_revisions_with_links_to_their_changes(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    plan_revise(
        plan=plan,
        actor=Actor(label="user:bob"),
        draft=RevisionDraft(base_version=1, steps=[step("a")], comment="only a"),
    )
    client.force_login(reviewer)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "only a" in body
    assert f'href="/plans/{plan.pk}/diff?from=1&amp;to=2"' in body
    assert client.get(f"/plans/{plan.pk}/diff?from=1&to=9").status_code == 404
