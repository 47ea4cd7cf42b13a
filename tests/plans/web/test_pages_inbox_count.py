"""The top bar counts what waits for the reviewer, and live fragments carry the new count."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.factories import approve
from tests.plans.inbox.helpers import ago, draft, gate, revise

HTMX = {"HX-Request": "true"}


def count_in(body: str) -> int:
    match = re.search(r'<a id="inbox-count"[^>]*>Inbox <span class="inbox-count"[^>]*>(\d+)<', body)
    assert match, "no inbox count"
    return int(match.group(1))


def test_it_shows_how_many_items_wait_on_every_page(
    client: Client, reviewer: Any, team: Any, other_team: Any
) -> None:
    plan = draft(team, "A")
    gate(team, "B", since=ago(minutes=1))
    draft(other_team, "Not ours")
    client.force_login(reviewer)

    assert count_in(client.get("/").content.decode()) == 2
    assert count_in(client.get(f"/plans/{plan.pk}/").content.decode()) == 2

    approve(plan)

    assert count_in(client.get("/inbox").content.decode()) == 1


def test_it_sends_the_new_count_with_the_live_fragments(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = draft(team, "A")
    client.force_login(reviewer)
    draft(team, "B")

    for url in ["/", f"/plans/{plan.pk}/live?after=0"]:
        body = client.get(url, headers=HTMX).content.decode()
        oob = '<a id="inbox-count" class="inbox-link has-waiting" href="/inbox" hx-swap-oob="true">'
        assert oob in body
        assert count_in(body) == 2


def test_it_tells_an_open_inbox_that_it_changed_without_redrawing_it(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = draft(team, "A")
    client.force_login(reviewer)
    page = client.get("/inbox").content.decode()
    live_url = re.search(r'data-live-url="([^"]+)"', page).group(1).replace("&amp;", "&")

    unchanged = client.get(live_url, headers=HTMX).content.decode()
    revise(plan)
    changed = client.get(live_url, headers=HTMX).content.decode()

    assert re.search(r'id="inbox-notice"[^>]* hidden', unchanged)
    assert not re.search(r'id="inbox-notice"[^>]* hidden', changed)
    assert "The inbox changed since you opened it (1 item waiting now)" in changed
    assert "data-inbox-item" not in changed  # the rows the reviewer selected stay as they were
