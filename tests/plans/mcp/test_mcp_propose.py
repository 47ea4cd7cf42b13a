"""propose_plan over MCP: the planner drafts a plan for a goal (the catalog planner, no model),
refuses a goal it cannot plan with the reason, and says so when it cannot be reached."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from plans.models import Plan
from tests.plans.mcp.conftest import mcp_session
from tests.processes import ROOT, free_port, serving

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_proposes_a_draft_that_lists_what_it_lacks(mcp_url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            proposed = await session.call_tool(
                "propose_plan",
                {"goal": "Count the words of my essay", "user_id": "u1", "topic_id": "t1"},
            )
            supplied = await session.call_tool(
                "supply_inputs",
                {
                    "plan_id": proposed.structured_content["id"],
                    "version": proposed.structured_content["version"],
                    "values": {"text": "one two three"},
                },
            )
            return proposed, supplied

    proposed, supplied = asyncio.run(go())
    assert not proposed.is_error, proposed.content
    plan = proposed.structured_content
    assert plan["status"] == "draft"
    assert [s["action"] for s in plan["steps"]] == ["count_words"]
    assert [m["name"] for m in plan["missing_inputs"]] == ["text"]
    assert Plan.objects.get(pk=plan["id"]).goal == "Count the words of my essay"
    assert supplied.structured_content["missing_inputs"] == []


def test_a_goal_it_cannot_plan_is_refused_with_the_reason(mcp_url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            return await session.call_tool(
                "propose_plan",
                {"goal": "Book a flight to Lisbon", "user_id": "u1", "topic_id": "t1"},
            )

    result = asyncio.run(go())
    assert result.is_error
    assert "goal: " in result.content[0].text
    assert "count_words (Counts the words of a text.)" in result.content[0].text
    assert not Plan.objects.exists()


def test_an_unreachable_planner_is_a_tool_error_saying_so(raw_token: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/v1"
    with serving(
        log=ROOT / "test-artifacts" / "test_mcp_propose-unreachable-server.log",
        PLANGATE_PLANNER_BACKEND="llm",
        PLANGATE_PLANNER_URL=nowhere,
        PLANGATE_PLANNER_MODEL="stand-in",
        PLANGATE_PLANNER_MAX_ATTEMPTS="1",
    ) as server:

        async def go() -> Any:
            async with mcp_session(f"http://{server.address}/mcp", raw_token) as session:
                return await session.call_tool(
                    "propose_plan",
                    {"goal": "Count the words of my essay", "user_id": "u1", "topic_id": "t1"},
                )

        result = asyncio.run(go())
    assert result.is_error
    assert "the planner (llm) cannot answer" in result.content[0].text
    assert "try again later" in result.content[0].text
    assert not Plan.objects.exists()
