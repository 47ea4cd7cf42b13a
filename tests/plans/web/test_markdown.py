"""Markdown written by agents renders as formatting, never as markup the page would run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from plans.web.rendering import render_markdown


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The tags a browser would build from `html`, with their attributes."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_it_renders_emphasis_lists_code_and_tables() -> None:
    html = render_markdown("Some *emphasis* and **strong**.\n\n- one\n- two\n\n`x < y`")
    assert "<em>emphasis</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<code>x &lt; y</code>" in html
    assert "<table>" in render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.com" onclick="alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_it_shows_raw_html_as_text(text: str) -> None:
    html = render_markdown(text)
    assert elements(html) == [("p", [])]
    assert "&lt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
    ],
)
def test_it_drops_dangerous_links(text: str) -> None:
    hrefs = [
        (value or "").lower()
        for _, attrs in elements(render_markdown(text))
        for name, value in attrs
        if name == "href"
    ]
    assert not [h for h in hrefs if h.startswith(("javascript", "vbscript", "data"))]


def test_links_do_not_pass_the_referrer_or_the_opener() -> None:
    html = render_markdown("[docs](https://example.com/a?b=1&c=2)")
    assert html == (
        '<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">'
        "docs</a></p>\n"
    )


def test_images_become_links_instead_of_being_fetched() -> None:
    html = render_markdown("![chart](https://tracker.example/pixel.png)")
    assert "<img" not in html
    assert 'href="https://tracker.example/pixel.png"' in html
    assert "image: chart" in html
