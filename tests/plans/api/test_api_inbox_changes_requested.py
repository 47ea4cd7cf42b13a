"""GET /api/v1/inbox lists the plans whose changes were requested, with the request, for the
integration to answer with a revision; they wait for it, not for the team's reviewers."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.test import Client
from jsonschema import Draft202012Validator

from plans.inbox import selectors
from tests.conftest import ApiClient
from tests.factories import step, submit_plan
from tests.plans.inbox.helpers import ago, changes_requested, draft


def test_it_lists_the_request_with_its_comment_version_and_wait(
    api: ApiClient, team: Any, reviewer: Any
) -> None:
    plan = submit_plan(team, [step("fetch"), step("report", "fetch")], title="Figures")
    changes_requested(plan, reviewer, "Use the EU figures.", at=ago(hours=2), fetch="EU ledger.")

    body = api.get("/inbox").json()

    assert (body["count"], body["for_reviewers"], body["for_integration"]) == (1, 0, 1)
    [item] = body["items"]
    assert (item["kind"], item["plan_id"], item["plan_title"], item["version"]) == (
        "changes_requested",
        str(plan.pk),
        "Figures",
        1,
    )
    request = item["change_request"]
    assert request["comment"] == "Use the EU figures."
    assert request["step_comments"] == {"fetch": "EU ledger."}
    assert (request["by"], request["version"]) == ("user:alice", 1)
    assert request["at"] == item["waiting_since"]
    assert 2 * 3600 - 60 < item["waited_seconds"] < 2 * 3600 + 60
    assert (item["approvals"], item["step_key"], item["revised"]) == (None, None, False)
    assert item["links"]["plan"] == f"/api/v1/plans/{plan.pk}"


def test_it_lists_them_oldest_request_first_among_the_other_items(
    api: ApiClient, team: Any, reviewer: Any
) -> None:
    changes_requested(draft(team, "Asked lately"), reviewer, at=ago(minutes=5))
    draft(team, "New draft", created=ago(hours=1))
    changes_requested(draft(team, "Asked long ago"), reviewer, at=ago(hours=3))

    items = api.get("/inbox").json()["items"]

    assert [(i["plan_title"], i["kind"]) for i in items] == [
        ("Asked long ago", "changes_requested"),
        ("New draft", "draft"),
        ("Asked lately", "changes_requested"),
    ]
    assert [i["change_request"] is None for i in items] == [False, True, False]


def test_a_revision_answering_the_request_takes_it_off(
    api: ApiClient, team: Any, reviewer: Any
) -> None:
    plan = changes_requested(submit_plan(team, title="Figures"), reviewer)

    answer = api.post(
        f"/plans/{plan.pk}/revisions",
        {"base_version": 1, "steps": [{"key": "a", "task": "do a again", "executor": "echo"}]},
    )

    assert answer.status_code == 201, answer.content
    body = api.get("/inbox").json()
    assert (body["for_reviewers"], body["for_integration"]) == (1, 0)
    [item] = body["items"]
    assert (item["kind"], item["version"], item["revised"]) == ("draft", 2, True)
    assert item["change_request"] is None


def test_it_lists_only_the_tokens_teams_requests(
    api: ApiClient, other_api: ApiClient, team: Any, other_team: Any, reviewer: Any
) -> None:
    changes_requested(draft(team, "Ours"), reviewer)
    mallory = other_team.members.get()
    changes_requested(draft(other_team, "Theirs"), mallory, "Not for acme's eyes.")

    ours = api.get("/inbox").json()
    theirs = other_api.get("/inbox").json()

    assert [i["plan_title"] for i in ours["items"]] == ["Ours"]
    assert [i["plan_title"] for i in theirs["items"]] == ["Theirs"]
    assert "Not for acme" not in str(ours)


def test_the_reviewers_count_and_decisions_leave_them_out(
    client: Client, team: Any, reviewer: Any
) -> None:
    changes_requested(draft(team, "Back with its agent"), reviewer)
    draft(team, "To decide")
    client.force_login(reviewer)

    page = client.get("/inbox").content.decode()

    assert selectors.inbox_count_for_user(reviewer) == 1
    assert 'aria-label="1 waiting"' in page
    decisions, _, waiting = page.partition("Waiting for the agent")
    assert "Back with its agent" not in decisions
    assert "Back with its agent" in waiting
    assert "asked by alice" in waiting
    for action in ("data-inbox-approve", "data-inbox-select", "data-inbox-cancel", "<form"):
        assert action not in waiting.partition('id="inbox-help"')[0]


def strict(schema: Any) -> Any:
    """The schema, refusing any property it does not declare, at every depth."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    elif isinstance(schema, list):
        schema = [strict(v) for v in schema]
    return schema


def test_the_openapi_document_declares_the_answer_exactly(
    api: ApiClient, team: Any, reviewer: Any
) -> None:
    changes_requested(submit_plan(team), reviewer, "Smaller steps.", a="Split it.")
    draft(team, "To decide")
    doc = api.client.get("/api/v1/openapi.json").json()
    ref = doc["paths"]["/api/v1/inbox"]["get"]["responses"]["200"]["content"]["application/json"]
    schema = {**ref["schema"], "components": strict(copy.deepcopy(doc["components"]))}

    body = api.get("/inbox").json()

    Draft202012Validator(schema).validate(body)
    item = doc["components"]["schemas"]["InboxItemOut"]["properties"]
    assert "changes_requested" in str(item["kind"])
    assert set(item) >= {"change_request", "waiting_since", "version"}
    assert {i["kind"] for i in body["items"]} == {"draft", "changes_requested"}
    [asked] = [i for i in body["items"] if i["kind"] == "changes_requested"]
    assert datetime.fromisoformat(asked["change_request"]["at"])
