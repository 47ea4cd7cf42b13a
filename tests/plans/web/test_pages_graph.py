"""The plan page draws the plan: a box per step, coloured by status and linking to its row, an
arrow per dependency, a fan-out step's items counted in its box; redrawn by the live updates, and
quick enough at 200 steps."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import fanned_out, run_until_idle


def graph(body: str) -> str:
    start = body.index('<section id="plan-graph"')
    return body[start : body.index("</section>", start)]


def test_it_draws_a_box_per_step_and_an_arrow_per_dependency(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(
        team,
        [
            step("fetch"),
            step("<b>clean</b>", "fetch"),
            step("check", "fetch"),
            step("publish", "<b>clean</b>", "check"),
        ],
    )
    client.force_login(reviewer)

    svg = graph(client.get(f"/plans/{plan.pk}/").content.decode())

    nodes = re.findall(r'<a href="#([^"]+)" class="node node-(\w+)', svg)
    assert nodes == [
        (step_dom_id(k), "pending") for k in ["fetch", "<b>clean</b>", "check", "publish"]
    ]
    arrows = re.findall(r'<path class="edge" data-from="([^"]*)" data-to="([^"]*)"', svg)
    assert sorted(arrows) == sorted(
        [
            ("fetch", "&lt;b&gt;clean&lt;/b&gt;"),
            ("fetch", "check"),
            ("&lt;b&gt;clean&lt;/b&gt;", "publish"),
            ("check", "publish"),
        ]
    )
    assert "<b>" not in svg


@pytest.mark.django_db(transaction=True)
def test_it_colours_boxes_by_status_and_counts_fan_out_items(
    client: Client, reviewer: Any, team: Any, worker: Any
) -> None:
    plan = fanned_out(team, worker, ["p", "q", "r"])
    run_until_idle(worker)
    client.force_login(reviewer)

    svg = graph(client.get(f"/plans/{plan.pk}/").content.decode())

    assert re.findall(r'class="node node-(\w+)', svg) == ["completed", "completed"]
    assert "node-fanout" in svg
    assert "Completed · 3/3 done" in svg
    # Items are folded into their step: no box of their own.
    assert svg.count("<rect") == 2


def test_it_redraws_the_picture_in_a_live_update(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)
    approve(plan)

    body = client.get(f"/plans/{plan.pk}/live?after=1").content.decode()

    assert '<section id="plan-graph" class="card graph-card" hx-swap-oob="true">' in body


def test_it_draws_a_200_step_plan_quickly(client: Client, reviewer: Any, team: Any) -> None:
    steps = [step("s000")]
    for i in range(1, 200):
        # Each step waits for one or two of the ten before it: a wide, deep plan.
        deps = {f"s{i - 1:03d}", f"s{max(0, i - 1 - i % 10):03d}"}
        steps.append(step(f"s{i:03d}", *sorted(deps)))
    plan = submit_plan(team, steps)
    client.force_login(reviewer)

    started = time.monotonic()
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    elapsed = time.monotonic() - started

    svg = graph(body)
    assert svg.count('class="node node-pending"') == 200
    assert svg.count('<path class="edge"') == sum(len(s.depends_on) for s in steps)
    assert elapsed < 5, elapsed
    # Every box lies inside the picture, which says how big it is.
    width, height = (float(v) for v in re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    for x, y in re.findall(r'<rect x="(\d+)" y="(\d+)"', svg):
        assert 0 <= float(x) < width and 0 <= float(y) < height
