"""A plan that changes while its page is open: the live fragments keep the approve button on the
version the page showed, and say what changed."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import selectors, services
from tests.factories import step, submit_plan


def approve_button(body: str) -> tuple[int, bool]:
    form = re.search(r'name="version" value="(\d+)">\s*<button type="submit"([^>]*)>', body)
    assert form, "no approve form"
    return int(form.group(1)), "disabled" in form.group(2)


def test_it_keeps_the_approve_button_on_the_version_on_screen(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert 'data-seen-version="1"' in page
    after = selectors.latest_event_id(plan.pk)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Cost estimate")
    )

    body = client.get(f"/plans/{plan.pk}/live?after={after}&seen=1").content.decode()

    assert approve_button(body) == (1, True)
    assert "Approve version 2" not in body
    assert "Changed since you opened it: version 1 → 2" in body
    assert "Cost estimate" in body  # the diff: an artifact added
    assert f'<a class="btn btn-primary" href="/plans/{plan.pk}/">Review version 2</a>' in body
    # The page keeps saying which version it shows, through every later fetch.
    assert 'data-seen-version="1"' in body


def test_a_fresh_page_shows_and_approves_the_new_version(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Cost estimate")
    )
    client.force_login(reviewer)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert approve_button(body) == (2, False)
    assert "Changed since you opened it" not in body
