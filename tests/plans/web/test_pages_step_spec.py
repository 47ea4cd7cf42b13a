"""Before approving, a reviewer sees everything a step will run: its executor, every parameter
(long ones folded, never cut), its limits, the steps it receives results from (linked to their
rows) and a fan-out's stages; plan text is escaped."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import list_step, step, submit_plan


def row(body: str, key: str) -> str:
    start = body.index(f'<tr id="{step_dom_id(key)}"')
    return body[start : body.index("</tr>", start)]


def test_it_shows_every_param_escaped_and_folds_the_long_ones(
    client: Client, reviewer: Any, team: Any
) -> None:
    source = "<script>alert(1)</script>\n" + "x = 1\n" * 200
    plan = submit_plan(
        team,
        [
            step("fetch"),
            step(
                "run",
                "fetch",
                executor="python",
                params={"function": "word_count", "text": source},
                timeout_seconds=12,
                max_attempts=4,
            ),
        ],
    )
    client.force_login(reviewer)

    html = row(client.get(f"/plans/{plan.pk}/").content.decode(), "run")

    assert (
        'Runs <code class="executor">python</code>, up to 12 s per attempt, at most 4 attempts.'
        in html
    )
    assert '<code class="param-value">&quot;word_count&quot;</code>' in html
    # The long value is folded in a <details>, whole inside it, and escaped.
    folded = html[html.index('<details class="param-value">') :]
    assert "show all" in folded
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in folded
    whole = folded[folded.index('<pre class="json">') : folded.index("</pre>")]
    assert whole.count("x = 1") == 200
    assert "<script>" not in html
    # It receives from `fetch`, linked to that row.
    assert f'<a href="#{step_dom_id("fetch")}"><code>fetch</code></a>' in html


def test_it_shows_what_a_fan_out_runs_for_each_item(
    client: Client, reviewer: Any, team: Any
) -> None:
    stages = [
        {"name": "fetch", "executor": "echo", "params": {"method": "GET"}, "timeout_seconds": 5},
        {"name": "count", "executor": "python", "params": {"function": "word_count"}},
    ]
    plan = submit_plan(
        team,
        [
            list_step("pages.v2", ["a", "b"]),
            step("each", "pages.v2", for_each={"over": "pages.v2", "stages": stages}),
        ],
    )
    client.force_login(reviewer)

    html = row(client.get(f"/plans/{plan.pk}/").content.decode(), "each")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())

    assert "Runs once for each item of pages.v2 , 4 at a time, through 2 stages:" in text
    assert "fetch : echo , up to 5 s per attempt" in text
    assert "method &quot;GET&quot;" in text
    assert "count : python" in text and "function &quot;word_count&quot;" in text
    assert f'href="#{step_dom_id("pages.v2")}"' in html
