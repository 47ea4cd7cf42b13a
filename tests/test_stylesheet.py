"""The stylesheet parses as written: a brace left open swallows every rule after it, which a
browser drops without a word (the dependency picture then draws its boxes black)."""

from __future__ import annotations

import re
from pathlib import Path

STYLESHEETS = sorted((Path(__file__).resolve().parent.parent / "static" / "plangate").glob("*.css"))


def test_every_stylesheet_closes_each_block_it_opens() -> None:
    assert STYLESHEETS
    for sheet in STYLESHEETS:
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        depth = 0
        for number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{sheet.name}:{number} closes a block it never opened"
        assert depth == 0, f"{sheet.name} leaves {depth} block(s) open"
