"""What the client sends for propose and parse_inputs and how it reads the answers, the
planner's 503 included, against a stand-in server (httpx's MockTransport)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from plangate_client import AsyncPlangate, Plangate, ServerError, Unavailable, ValidationFailed

PLAN = {"id": "5c7b", "status": "draft", "version": 1, "steps": []}
PARSED = {
    "values": {"city": "Bergen"},
    "missing": ["days"],
    "notes": ["no value for days in the message"],
}


def server(answers: dict[str, httpx.Response], seen: list[httpx.Request]) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[f"{request.method} {request.url.path}"]

    return handle


def test_propose_sends_only_what_was_given_and_returns_the_plan() -> None:
    seen: list[httpx.Request] = []
    answers = {"POST /api/v1/plans/propose": httpx.Response(201, json=PLAN)}
    transport = httpx.MockTransport(server(answers, seen))
    with Plangate("http://plangate.test", "pgt_x", transport=transport) as pg:
        plan = pg.propose("Plan the trip", user_id="u1", topic_id="t1")
        pg.propose(
            "Plan the trip",
            user_id="u1",
            topic_id="t1",
            inputs={"city": "Bergen"},
            actions=["forecast"],
            instruction="two days at most",
        )
    assert plan == PLAN
    assert json.loads(seen[0].content) == {
        "goal": "Plan the trip",
        "user_id": "u1",
        "topic_id": "t1",
    }
    assert json.loads(seen[1].content) == {
        "goal": "Plan the trip",
        "user_id": "u1",
        "topic_id": "t1",
        "inputs": {"city": "Bergen"},
        "actions": ["forecast"],
        "instruction": "two days at most",
    }
    assert seen[0].headers["Authorization"] == "Bearer pgt_x"


def test_an_unavailable_planner_is_an_error_carrying_its_detail() -> None:
    detail = "the planner is unavailable: its circuit is open until 12:00 UTC"
    answers = {"POST /api/v1/plans/propose": httpx.Response(503, json={"detail": detail})}
    transport = httpx.MockTransport(server(answers, []))
    with (
        Plangate("http://plangate.test", "pgt_x", transport=transport) as pg,
        pytest.raises(Unavailable) as unavailable,
    ):
        pg.propose("Plan the trip", user_id="u1", topic_id="t1")
    assert unavailable.value.status_code == 503
    assert unavailable.value.detail == detail
    assert isinstance(unavailable.value, ServerError)


def test_a_plan_the_planner_could_not_make_lists_its_problems() -> None:
    problems = [{"loc": ["body", "goal"], "msg": "no action fits the goal", "type": "value_error"}]
    answers = {"POST /api/v1/plans/propose": httpx.Response(422, json={"detail": problems})}
    transport = httpx.MockTransport(server(answers, []))
    with (
        Plangate("http://plangate.test", "pgt_x", transport=transport) as pg,
        pytest.raises(ValidationFailed) as invalid,
    ):
        pg.propose("?", user_id="u1", topic_id="t1")
    assert [(p.path, p.msg) for p in invalid.value.problems] == [
        ("body.goal", "no action fits the goal")
    ]


def test_parse_inputs_returns_what_was_read_and_applies_nothing() -> None:
    seen: list[httpx.Request] = []
    answers = {"POST /api/v1/plans/5c7b/inputs/parse": httpx.Response(200, json=PARSED)}
    transport = httpx.MockTransport(server(answers, seen))

    async def go() -> Any:
        async with AsyncPlangate("http://plangate.test", "pgt_x", transport=transport) as pg:
            return await pg.parse_inputs("5c7b", "We go to Bergen")

    assert asyncio.run(go()) == PARSED
    assert [(r.method, r.url.path) for r in seen] == [("POST", "/api/v1/plans/5c7b/inputs/parse")]
    assert json.loads(seen[0].content) == {"message": "We go to Bergen"}
