"""The plan page draws the plan: a box per step, coloured by status and linking to its row, an
arrow per dependency, a fan-out step's items counted in its box; redrawn by the live updates, and
quick enough at 200 steps, with no box over another or outside the picture whatever the shape."""

from __future__ import annotations

import random
import re
import time
from typing import Any

import pytest
from django.test import Client

from plans.validation import StepDraft
from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import fanned_out, run_until_idle


def graph(body: str) -> str:
    start = body.index('<section id="plan-graph"')
    return body[start : body.index("</section>", start)]


Box = tuple[float, float, float, float]


def assert_boxes_apart_and_inside(svg: str, count: int) -> None:
    """`count` step boxes, no two overlapping, each wholly inside the SVG's viewBox."""
    box = re.search(r'viewBox="(\S+) (\S+) (\S+) (\S+)"', svg)
    assert box
    left, top, width, height = (float(v) for v in box.groups())
    rects: list[Box] = [
        (float(x), float(y), float(w), float(h))
        for x, y, w, h in re.findall(
            r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"', svg
        )
    ]
    assert len(rects) == count
    outside = [
        r
        for r in rects
        if r[0] < left or r[1] < top or r[0] + r[2] > left + width or r[1] + r[3] > top + height
    ]
    assert not outside, (outside[:5], (left, top, width, height))
    overlapping = [
        (a, b)
        for i, a in enumerate(rects)
        for b in rects[i + 1 :]
        if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
    ]
    assert not overlapping, overlapping[:5]


def chain() -> list[StepDraft]:
    return [step("s000"), *(step(f"s{i:03d}", f"s{i - 1:03d}") for i in range(1, 200))]


def fan_in() -> list[StepDraft]:
    sources = [step(f"s{i:03d}") for i in range(199)]
    return [*sources, step("s199", *(s.key for s in sources))]


def random_dag() -> list[StepDraft]:
    """Each step waits for up to three earlier ones, some for none; some stand alone."""
    rng = random.Random(9)
    steps = []
    for i in range(200):
        earlier = rng.sample(range(i), k=rng.randint(0, min(3, i)))
        steps.append(step(f"s{i:03d}", *(f"s{j:03d}" for j in sorted(earlier))))
    return steps


@pytest.mark.parametrize("shape", [chain, fan_in, random_dag], ids=lambda shape: shape.__name__)
def test_it_keeps_every_box_apart_and_inside_the_picture(
    shape: Any, client: Client, reviewer: Any, team: Any
) -> None:
    steps = shape()
    plan = submit_plan(team, steps)
    client.force_login(reviewer)

    svg = graph(client.get(f"/plans/{plan.pk}/").content.decode())

    assert svg.count('<path class="edge"') == sum(len(s.depends_on) for s in steps)
    assert_boxes_apart_and_inside(svg, 200)


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
    assert_boxes_apart_and_inside(svg, 200)
