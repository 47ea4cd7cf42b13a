"""The client's plan inputs against a live Plangate: a plan that needs inputs, supplied by the
sync and the async client as a new version, and refused with the API's details."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from plangate_client import AsyncPlangate, Conflict, Plangate, ValidationFailed

pytestmark = pytest.mark.django_db(transaction=True)

NEEDS_TEXT = {
    "goal": "Count the words of the brief",
    "user_id": "user-7",
    "topic_id": "topic-4",
    "steps": [
        {
            "key": "count",
            "task": "Count the words",
            "action": "count_words",
            "inputs": {"text": {"$input": "text"}},
        }
    ],
}


def test_it_supplies_missing_inputs(url: str, raw_token: str) -> None:
    with Plangate(url, raw_token) as pg:
        plan = pg.submit(NEEDS_TEXT)
        assert [m["name"] for m in plan["missing_inputs"]] == ["text"]
        with pytest.raises(ValidationFailed) as invalid:
            pg.supply_inputs(plan["id"], version=1, values={"text": 7})
        assert [p.path for p in invalid.value.problems] == ["body.values.text"]

        supplied = pg.supply_inputs(plan["id"], version=1, values={"text": "one two"})
        assert (supplied["version"], supplied["missing_inputs"]) == (2, [])
        assert supplied["inputs"] == {"text": "one two"}
        with pytest.raises(Conflict) as stale:
            pg.supply_inputs(plan["id"], version=1, values={"text": "again"})
        assert stale.value.current_version == 2


def test_the_async_client_supplies_them_too(url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with AsyncPlangate(url, raw_token) as pg:
            plan = await pg.submit(NEEDS_TEXT)
            return await pg.supply_inputs(plan["id"], version=1, values={"text": "a b c"})

    supplied = asyncio.run(go())
    assert (supplied["version"], supplied["inputs"]) == (2, {"text": "a b c"})


def test_it_proposes_reads_inputs_from_a_message_and_supplies_them(
    url: str, raw_token: str
) -> None:
    with Plangate(url, raw_token) as pg:
        plan = pg.propose("Count the words of my essay", user_id="u1", topic_id="t1")
        assert [m["name"] for m in plan["missing_inputs"]] == ["text"]
        with pytest.raises(ValidationFailed) as invalid:
            pg.propose("Book a flight to Lisbon", user_id="u1", topic_id="t1")
        assert [p.path for p in invalid.value.problems] == ["body.goal"]

        parsed = pg.parse_inputs(plan["id"], 'The text is "one two three".')
        assert set(parsed) == {"values", "missing", "notes"}
        assert pg.get(plan["id"])["version"] == plan["version"]  # nothing applied
        supplied = pg.supply_inputs(
            plan["id"], version=plan["version"], values={"text": "one two three"}
        )
        assert supplied["missing_inputs"] == []
