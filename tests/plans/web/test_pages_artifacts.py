"""Planning artifacts on the plan page: readable, and harmless however the agent wrote them."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client

from plans import services
from tests.factories import submit_plan

UNTRUSTED_SUMMARY = """Plan *carefully*:

- **fetch** the rows
- mail the [report](https://example.com/r)

<script>alert(1)</script>
<img src=x onerror="alert(2)">
[click me](javascript:alert(3))
<b onmouseover="alert(4)">raw html</b>
"""


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """The elements a browser would build from `html`, with their attributes."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collector().feed(html)
    return found


def artifacts_section(body: str) -> str:
    start = body.index('id="plan-artifacts"')
    return body[start : body.index("</section>", start)]


def test_it_renders_the_summary_as_sanitized_markdown(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(
        team,
        artifacts=[services.ArtifactDraft(title="Research", summary=UNTRUSTED_SUMMARY)],
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "<em>carefully</em>" in body
    assert "<li><strong>fetch</strong> the rows</li>" in body
    assert '<a href="https://example.com/r" rel="noopener noreferrer nofollow">report</a>' in body
    built = elements(artifacts_section(body))
    tags = {tag for tag, _ in built}
    attributes = {name for _, attrs in built for name in attrs}
    hrefs = [attrs["href"] for tag, attrs in built if tag == "a"]
    assert tags <= {"section", "h2", "article", "h3", "div", "p", "em", "ul", "li", "strong", "a"}
    assert not [name for name in attributes if name.startswith("on")]
    assert hrefs == ["https://example.com/r"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # shown as text


def test_it_shows_assumptions_parameters_and_the_proposed_plan_escaped(
    client: Client, reviewer: Any, team: Any
) -> None:
    artifact = services.ArtifactDraft(
        title="Inputs <b>bold</b>",
        assumptions=["The warehouse is up", "<i>nobody</i> is on holiday"],
        parameters={"region": "EMEA", "html": "</pre><script>alert(1)</script>"},
        proposed_plan={"steps": ["fetch", "report"]},
    )
    plan = submit_plan(team, artifacts=[artifact])
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "<h3>Inputs &lt;b&gt;bold&lt;/b&gt;</h3>" in body
    assert "<li>The warehouse is up</li>" in body
    assert "<li>&lt;i&gt;nobody&lt;/i&gt; is on holiday</li>" in body
    assert "&quot;region&quot;: &quot;EMEA&quot;" in body
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "script" not in {tag for tag, _ in elements(artifacts_section(body))}
    assert "&quot;steps&quot;: [\n    &quot;fetch&quot;,\n    &quot;report&quot;\n  ]" in body


def test_it_says_when_there_are_no_artifacts(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    assert b"The agent attached no planning artifacts." in client.get(f"/plans/{plan.pk}/").content
