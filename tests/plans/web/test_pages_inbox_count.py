"""The top bar counts what waits for the reviewer, and live fragments carry the new count."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import selectors
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

    for url in ["/", f"/plans/{plan.pk}/live?after=0", "/inbox/count"]:
        body = client.get(url, headers=HTMX).content.decode()
        oob = re.search(r'<a id="inbox-count" class="inbox-link has-waiting" [^>]*>', body)
        assert oob and 'hx-swap-oob="true"' in oob.group(0), url
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


def test_the_count_alone_says_where_the_log_stood_when_it_was_read(
    client: Client, reviewer: Any, team: Any
) -> None:
    draft(team, "A")
    client.force_login(reviewer)

    body = client.get("/inbox/count", headers=HTMX).content.decode()

    assert count_in(body) == 1
    assert f'data-log-position="{selectors.log_position()}"' in body
    assert "<main" not in body  # the count, not a page


def test_pages_without_live_content_keep_their_count_live(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = draft(team, "A")
    client.force_login(reviewer)
    count_socket = '<span hidden data-live-socket="/ws/inbox/" data-live-count-only></span>'

    for url in [f"/plans/{plan.pk}/edit", f"/plans/{plan.pk}/diff?from=1&to=1", "/plans/new"]:
        page = client.get(url).content.decode()
        assert count_in(page) == 1, url
        assert count_socket in page, url
        assert 'data-inbox-count-url="/inbox/count"' in page, url
    # A plan's page has a socket of its own, which also carries the count's nudges.
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f'data-live-socket="/ws/plans/{plan.pk}/"' in page
    assert re.search(r'id="inbox-count"[^>]* data-log-position="\d+"', page)
