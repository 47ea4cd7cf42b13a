"""Editing a plan in the page, without JavaScript: each save is the next revision."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

from django.test import Client

from plans import services
from plans.models import Plan, PlanRevision
from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import approve, step, submit_plan


def form_data(client: Client, plan: Plan) -> dict[str, Any]:
    """The edit form's fields as the page renders them."""
    body = client.get(f"/plans/{plan.pk}/edit").content.decode()
    data: dict[str, Any] = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body):
        data[name] = value
    for name, value in re.findall(
        r'<textarea id="[^"]+" name="([\w-]+)"[^>]*>([^<]*)</textarea>', body
    ):
        data[name] = html.unescape(value)
    for name, value in re.findall(r'<input id="[^"]+" name="([\w-]+)" value="([^"]*)"', body):
        data[name] = html.unescape(value)
    for name, chosen in re.findall(
        r'<select id="[^"]+" name="([\w-]+)">.*?value="(\w+)" selected', body, re.S
    ):
        data[name] = chosen
    for name, value in re.findall(r'name="([\w-]+depends_on)" value="([^"]+)" checked', body):
        data.setdefault(name, []).append(value)
    return data


def test_it_saves_edited_params_as_the_next_version(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a", params={"n": 1}), step("b", "a")])
    client.force_login(reviewer)
    data = form_data(client, plan)
    assert data["base_version"] == "1"
    assert data["steps-1-depends_on"] == ["a"]
    data["steps-0-params"] = '{"n": 2}'
    data["comment"] = "two is better"

    response = client.post(f"/plans/{plan.pk}/edit", data)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 2
    assert plan.steps.get(key="a").params == {"n": 2}
    assert list(plan.steps.get(key="b").depends_on.values_list("key", flat=True)) == ["a"]
    revision = PlanRevision.objects.get(plan=plan, version=2)
    assert revision.actor == "user:alice"
    assert revision.comment == "two is better"
    page = client.get(response["Location"]).content.decode()
    assert "Saved as version 2" in page
    assert "Approve version 2" in page


def row(body: str, key: str) -> str:
    start = body.index(f'<tr id="{step_dom_id(key)}"')
    return body[start : body.index("</tr>", start)]


def test_it_saves_a_hint_an_executor_a_removed_step_and_new_dependencies(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(
        team,
        [
            step("fetch", hint="the EU ledger"),
            step("count", "fetch", executor="python", params={"function": "list_items"}),
            step("check", "fetch"),
            step("report", "count", "check"),
        ],
        title="Quarterly figures",
    )
    client.force_login(reviewer)
    data = form_data(client, plan)
    assert (data["title"], data["steps-0-hint"]) == ("Quarterly figures", "the EU ledger")
    data["steps-0-hint"] = "the EU ledger, 2024 only"
    data["steps-1-executor"] = "echo"
    data["steps-2-remove"] = "1"
    data["steps-3-depends_on"] = ["fetch", "count"]

    response = client.post(f"/plans/{plan.pk}/edit", data)

    assert response.status_code == 302
    before = PlanRevision.objects.get(plan=plan, version=1).content
    after = PlanRevision.objects.get(plan=plan, version=2).content
    expected = copy.deepcopy(before)
    fetch, count, _check, report = expected["steps"]
    fetch["hint"] = "the EU ledger, 2024 only"
    count["executor"] = "echo"
    report["depends_on"] = ["count", "fetch"]
    expected["steps"] = [fetch, count, report]
    assert after == expected
    page = client.get(response["Location"]).content.decode()
    assert "Hint: the EU ledger, 2024 only" in row(page, "fetch")
    assert 'Runs <code class="executor">echo</code>' in row(page, "count")
    assert f'id="{step_dom_id("check")}"' not in page
    receives = row(page, "report").split('class="deps"')[1].split("</td>")[0]
    assert re.findall(r"<code>([^<]+)</code>", receives) == ["fetch", "count"]


def test_it_shows_bad_json_next_to_the_params_field_and_saves_nothing(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)
    data = form_data(client, plan)
    data["steps-1-params"] = '{"n": '

    response = client.post(f"/plans/{plan.pk}/edit", data)

    body = response.content.decode()
    assert response.status_code == 422
    error = re.search(r'<p id="steps-1-params-error" class="field-error"[^>]*>([^<]+)</p>', body)
    assert error and "Not valid JSON" in error.group(1)
    # What was typed stays in the field, to fix it.
    assert "{&quot;n&quot;: </textarea>" in body
    assert Plan.objects.get(pk=plan.pk).version == 1


def test_it_shows_the_plans_own_checks_next_to_their_fields(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)
    data = form_data(client, plan)
    data["steps-0-remove"] = "1"  # b still depends on it
    data["steps-1-task"] = ""

    response = client.post(f"/plans/{plan.pk}/edit", data)

    body = response.content.decode()
    assert response.status_code == 422
    assert "task must not be empty" in body
    assert "depends on &#x27;a&#x27;, which is not a step of this plan" in body
    assert Plan.objects.get(pk=plan.pk).version == 1


def test_a_stale_save_is_refused_and_shows_what_changed(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)
    data = form_data(client, plan)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Late finding")
    )
    data["steps-0-task"] = "my edit"

    response = client.post(f"/plans/{plan.pk}/edit", data)

    body = response.content.decode()
    assert response.status_code == 409
    assert "you started from version 1, it is now version 2" in body
    assert "Changed since you opened it: version 1 → 2" in body
    assert "Late finding" in body
    assert Plan.objects.get(pk=plan.pk).steps.get(key="a").task == "do a"


def test_an_approved_plan_cannot_be_edited(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team))
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/edit").content.decode()
    assert "only a draft, or a plan with changes requested, can be edited" in page
    response = client.post(f"/plans/{plan.pk}/edit", {"base_version": 1})
    assert response.status_code == 409
    assert "Cannot revise a plan that is approved." in response.content.decode()


def test_another_teams_plan_is_404(client: Client, reviewer: Any, other_team: Any) -> None:
    theirs = submit_plan(other_team)
    client.force_login(reviewer)
    assert client.get(f"/plans/{theirs.pk}/edit").status_code == 404
    assert client.get(f"/plans/{theirs.pk}/diff?from=1&to=1").status_code == 404
