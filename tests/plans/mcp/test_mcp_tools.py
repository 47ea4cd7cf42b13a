"""The MCP server against a live Plangate, through the SDK's own client: the tools an agent
sees, and each tool's answer as the API would give it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from plans.models import Plan
from tests.client.conftest import in_background
from tests.factories import approve, submit_plan
from tests.plans.mcp.conftest import mcp_session

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = {
    "goal": "Send the weekly summary",
    "user_id": "user-7",
    "topic_id": "topic-3",
    "steps": [
        {"key": "fetch", "task": "Fetch the figures"},
        {"key": "write", "task": "Write it up", "depends_on": ["fetch"]},
    ],
}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_it_lists_the_six_tools_with_their_arguments(mcp_url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in run(go())}
    assert set(tools) == {
        "list_actions",
        "propose_plan",
        "submit_plan",
        "get_plan",
        "wait_for_decision",
        "supply_inputs",
    }
    wait = tools["wait_for_decision"].input_schema
    assert wait["required"] == ["plan_id"]
    assert wait["properties"]["timeout_seconds"]["default"] == 30
    assert "description" in wait["properties"]["plan_id"]
    assert "plans:submit" in (tools["submit_plan"].description or "")


def test_it_submits_reads_and_lists_actions(mcp_url: str, raw_token: str, team: Any) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            submitted = await session.call_tool("submit_plan", {"plan": PLAN})
            got = await session.call_tool(
                "get_plan", {"plan_id": submitted.structured_content["id"]}
            )
            actions = await session.call_tool("list_actions", {})
            return submitted, got, actions

    submitted, got, actions = run(go())
    assert not submitted.is_error, submitted.content
    plan = submitted.structured_content
    assert (plan["status"], plan["version"]) == ("draft", 1)
    assert [s["key"] for s in plan["steps"]] == ["fetch", "write"]
    stored = Plan.objects.get(pk=plan["id"])
    assert stored.team == team
    assert got.structured_content == plan
    names = [a["name"] for a in actions.structured_content["actions"]]
    assert "count_words" in names
    assert {"input_schema", "executor", "source"} <= set(actions.structured_content["actions"][0])


def test_it_lists_every_problem_of_a_bad_plan_with_its_path(mcp_url: str, raw_token: str) -> None:
    bad_types = {**PLAN, "max_concurrency": "many", "colour": "red"}
    bad_plan = {
        **PLAN,
        "steps": [
            {"key": "a", "task": "First", "depends_on": ["missing"]},
            {"key": "a", "task": "Second"},
        ],
    }

    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            return (
                await session.call_tool("submit_plan", {"plan": bad_types}),
                await session.call_tool("submit_plan", {"plan": bad_plan}),
            )

    types, checks = run(go())
    assert types.is_error and checks.is_error
    text = types.content[0].text
    assert "plan.max_concurrency:" in text
    assert "plan.colour:" in text
    text = checks.content[0].text
    assert "plan.steps[1].key: duplicate key 'a'" in text
    assert "plan.steps[0].depends_on" in text
    assert not Plan.objects.exists()


def test_a_read_only_token_cannot_submit(mcp_url: str, team: Any) -> None:
    from plans import services
    from plans.models import Scope

    _, read_only = services.token_create(team=team, name="reader", scopes=[Scope.READ])

    async def go() -> Any:
        async with mcp_session(mcp_url, read_only) as session:
            return await session.call_tool("submit_plan", {"plan": PLAN})

    result = run(go())
    assert result.is_error
    assert "this token lacks the scope plans:submit" in result.content[0].text
    assert not Plan.objects.exists()


def test_another_teams_plan_is_not_found(mcp_url: str, raw_token: str, other_team: Any) -> None:
    theirs = submit_plan(other_team)

    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            return (
                await session.call_tool("get_plan", {"plan_id": str(theirs.pk)}),
                await session.call_tool(
                    "wait_for_decision", {"plan_id": str(theirs.pk), "timeout_seconds": 1}
                ),
                await session.call_tool(
                    "supply_inputs",
                    {"plan_id": str(theirs.pk), "version": 1, "values": {"city": "Oslo"}},
                ),
            )

    for result in run(go()):
        assert result.is_error
        assert "plan not found" in result.content[0].text


def test_wait_for_decision_wakes_when_a_reviewer_approves(mcp_url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            submitted = await session.call_tool("submit_plan", {"plan": PLAN})
            plan_id = submitted.structured_content["id"]
            reviewer = in_background(1.0, lambda: approve(Plan.objects.get(pk=plan_id)))
            try:
                waited = await session.call_tool(
                    "wait_for_decision", {"plan_id": plan_id, "timeout_seconds": 30}
                )
            finally:
                await asyncio.to_thread(reviewer.join)
            early = await session.call_tool(
                "wait_for_decision", {"plan_id": plan_id, "timeout_seconds": 0}
            )
            return waited, early

    waited, early = run(go())
    decision = waited.structured_content
    assert decision["done"] is True
    assert decision["status"] in {"approved", "executing"}
    assert decision["plan"]["approval"]["version"] == 1
    assert 0.5 < decision["waited_seconds"] < 10
    assert early.structured_content["done"] is True


def test_wait_for_decision_times_out_undecided(mcp_url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            submitted = await session.call_tool("submit_plan", {"plan": PLAN})
            return await session.call_tool(
                "wait_for_decision",
                {"plan_id": submitted.structured_content["id"], "timeout_seconds": 0.5},
            )

    decision = run(go()).structured_content
    assert decision["done"] is False
    assert (decision["status"], decision["version"]) == ("draft", 1)


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


def test_it_supplies_missing_inputs_as_a_new_version(mcp_url: str, raw_token: str) -> None:
    async def go() -> Any:
        async with mcp_session(mcp_url, raw_token) as session:
            submitted = await session.call_tool("submit_plan", {"plan": NEEDS_TEXT})
            plan_id = submitted.structured_content["id"]
            bad = await session.call_tool(
                "supply_inputs", {"plan_id": plan_id, "version": 1, "values": {"text": 7}}
            )
            supplied = await session.call_tool(
                "supply_inputs",
                {"plan_id": plan_id, "version": 1, "values": {"text": "one two three"}},
            )
            stale = await session.call_tool(
                "supply_inputs", {"plan_id": plan_id, "version": 1, "values": {"text": "again"}}
            )
            return submitted, bad, supplied, stale

    submitted, bad, supplied, stale = run(go())
    assert [m["name"] for m in submitted.structured_content["missing_inputs"]] == ["text"]
    assert bad.is_error
    assert "values.text:" in bad.content[0].text
    plan = supplied.structured_content
    assert (plan["version"], plan["missing_inputs"]) == (2, [])
    assert stale.is_error
    assert "(the plan is draft, at version 2)" in stale.content[0].text
