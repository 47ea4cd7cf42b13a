"""A big plan's page shows its steps a page of rows at a time: links to the other pages, counts
by status over the whole plan, links to a step that land on the page holding it, live updates
that touch only the rows shown, and a dependency picture drawn when asked for."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import selectors, services
from plans.models import Plan
from tests.factories import step, submit_plan


def rows(body: str) -> list[str]:
    return re.findall(r'<tr id="step-([^"]+)" class="step ', body)


def keys(start: int, stop: int) -> list[str]:
    return [f"s{i:03d}" for i in range(start, stop)]


def big_plan(team: Any, size: int = 250) -> Plan:
    # Each step after the first fifty receives from the one fifty before it.
    return submit_plan(
        team,
        [step(f"s{i:03d}", *([f"s{i - 50:03d}"] if i >= 50 else [])) for i in range(size)],
    )


def test_it_shows_a_big_plans_first_page_of_rows_and_links_to_the_others(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert rows(body) == keys(0, 100)
    assert "Steps 1\u2013100 of 250" in body
    assert '<span class="current" aria-current="page">1</span>' in body
    assert 'href="?page=2#steps"' in body
    assert 'href="?page=3#steps"' in body
    assert 'rel="next"' in body
    assert 'rel="prev"' not in body


def test_its_second_page_shows_the_next_rows(client: Client, reviewer: Any, team: Any) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/?page=2").content.decode()

    assert rows(body) == keys(100, 200)
    assert "Steps 101\u2013200 of 250" in body
    assert 'href="?page=1#steps" rel="prev"' in body
    assert 'href="?page=3#steps" rel="next"' in body
    # The live updates of this page fetch this page's rows.
    assert f'data-live-url="/plans/{plan.pk}/live?page=2"' in body
    # Past the last page: the last page.
    assert rows(client.get(f"/plans/{plan.pk}/?page=9").content.decode()) == keys(200, 250)


def test_a_link_to_a_step_lands_on_the_page_holding_it(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)

    answer = client.get(f"/plans/{plan.pk}/", {"step": "s150"})

    assert answer.status_code == 302
    assert answer["Location"] == f"/plans/{plan.pk}/?page=2#step-s150"
    assert "s150" in rows(client.get(answer["Location"]).content.decode())
    # On a page, a step's inputs and the counts link to the page holding the step they name.
    page_2 = client.get(f"/plans/{plan.pk}/?page=2").content.decode()
    assert '<a href="?page=1#step-s050"><code>s050</code></a>' in page_2
    assert '<a href="#step-s100"><code>s100</code></a>' in page_2
    assert '<a href="?page=1#step-s000">first: <code>s000</code></a>' in page_2


def test_a_link_to_an_unknown_step_says_so(client: Client, reviewer: Any, team: Any) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/", {"step": "nope"}, follow=True).content.decode()

    assert "This plan has no step nope." in body
    assert rows(body) == keys(0, 100)


def test_the_live_fragment_of_a_page_has_only_its_rows(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)
    seen = selectors.latest_event_id(plan.pk)
    for key in ["s010", "s120", "s230"]:
        services.step_skip(plan=plan, key=key, actor=services.SYSTEM, reason="not needed")

    body = client.get(f"/plans/{plan.pk}/live", {"page": 2, "after": seen}).content.decode()

    assert rows(body) == ["s120"]
    # The counts cover the steps skipped on the other pages too.
    assert "3 skipped" in body
    assert re.search(r"<strong>3</strong> skipped", body)


def test_the_counts_cover_the_whole_plan(client: Client, reviewer: Any, team: Any) -> None:
    plan = big_plan(team)
    for key in ["s010", "s120", "s230"]:
        services.step_skip(plan=plan, key=key, actor=services.SYSTEM, reason="not needed")
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    statuses = body[body.index('<ul class="steps-statuses"') :]
    statuses = statuses[: statuses.index("</ul>")]
    assert re.findall(r"<strong>(\d+)</strong> (\w+)", statuses) == [
        ("247", "pending"),
        ("3", "skipped"),
    ]
    assert '<a href="?page=2#step-s120">first: <code>s120</code></a>' not in statuses
    assert '<a href="#step-s010">first: <code>s010</code></a>' in statuses


def test_a_long_chains_skip_form_names_the_nearest_dependents_and_counts_the_rest(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(
        team, [step(f"s{i:03d}", *([f"s{i - 1:03d}"] if i else [])) for i in range(150)]
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    first = body[body.index('id="skip-step-s000"') :]
    warning = first[: first.index("</p>")]
    assert re.findall(r"<code>(s\d+)</code>", warning) == keys(1, 21)
    assert "and 129 more steps" in warning


def test_a_big_plans_picture_is_drawn_when_asked_for(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()
    drawn = client.get(f"/plans/{plan.pk}/?page=2&graph=1").content.decode()

    assert 'class="node ' not in body
    draw = f'href="/plans/{plan.pk}/?page=1&amp;graph=1#plan-graph">Draw the dependency picture'
    assert draw in body
    assert drawn.count('class="node node-pending"') == 250
    # Its boxes link to the page holding their step, the picture kept.
    assert '<a href="?page=1&amp;graph=1#step-s000" class="node' in drawn
    assert '<a href="#step-s150" class="node' in drawn
    assert f'data-live-url="/plans/{plan.pk}/live?page=2&amp;graph=1"' in drawn
    assert f'href="/plans/{plan.pk}/?page=2#plan-graph">Fold the picture</a>' in drawn


def test_an_action_sent_from_a_page_answers_with_that_pages_rows(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)

    answer = client.post(
        f"/plans/{plan.pk}/skip",
        {"key": "s120", "reason": "not needed"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver/plans/{plan.pk}/?page=2",
        },
    )

    body = answer.content.decode()
    assert answer.status_code == 200
    assert rows(body) == keys(100, 200)
    row = body[body.index('<tr id="step-s120"') :]
    assert '<span class="badge badge-skipped">Skipped</span>' in row[: row.index("</tr>")]


def test_a_form_sent_from_a_page_returns_to_that_page(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = big_plan(team)
    client.force_login(reviewer)
    page_2 = f"http://testserver/plans/{plan.pk}/?page=2"

    answer = client.post(
        f"/plans/{plan.pk}/skip",
        {"key": "s120", "reason": "not needed"},
        headers={"Referer": page_2},
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/plans/{plan.pk}/?page=2"
    assert "s120" in rows(client.get(answer["Location"]).content.decode())
