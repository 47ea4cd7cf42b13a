"""The plan page's inputs form: built from the missing inputs' schemas, errors shown against
each field, and once supplied a new revision that a reviewer can approve."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from plans.models import Plan
from tests.factories import UserFactory, step, submit_plan
from tests.plans.catalog.support import ACTIONS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalog(settings: Any) -> None:
    """The test catalog (tests/plans/catalog/support.py), as the catalog's and the bindings' tests
    have it."""
    settings.PLANGATE_ACTIONS = ACTIONS


@pytest.fixture
def actions(settings: Any) -> None:
    settings.PLANGATE_ACTIONS = [
        {
            "name": "book",
            "description": "Books a table.",
            "executor": "echo",
            "input_schema": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "minLength": 2},
                    "guests": {"type": "integer", "minimum": 1},
                    "meal": {"type": "string", "enum": ["lunch", "dinner"]},
                    "terrace": {"type": "boolean"},
                    "dishes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                },
                "required": ["city", "guests", "meal"],
            },
        }
    ]


@pytest.fixture
def browser(team: Any, reviewer: Any) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


def needing_inputs(team: Any) -> Plan:
    names = ("city", "guests", "meal", "terrace", "dishes")
    inputs = {name: {"$input": name} for name in names}
    return submit_plan(team, [step("book", executor="", action="book", inputs=inputs)])


def test_the_page_offers_a_form_and_holds_approval(
    actions: None, team: Any, browser: Client
) -> None:
    plan = needing_inputs(team)

    page = browser.get(f"/plans/{plan.pk}/").content.decode()

    assert "needs 5 more inputs before it can be approved" in page
    assert re.search(r'<select name="input_2"[^>]*>', page)
    assert '<option value="&quot;dinner&quot;">dinner</option>' in page
    assert re.search(r'<input type="checkbox" name="input_3"', page)
    assert re.search(r'<input type="number" name="input_1"', page)
    assert re.search(r'<textarea name="input_4"', page)
    assert 'name="csrfmiddlewaretoken"' in page
    assert re.search(
        r'<button type="submit" class="btn" disabled aria-describedby="missing-inputs-note">', page
    )
    assert "Approval waits for the plan's inputs: city, guests, meal, terrace, dishes." in page
    assert (
        'Action <strong class="action-name">book</strong>: '
        '<span class="action-description">Books a table.</span>' in page
    )


def test_errors_are_shown_against_each_field_then_success_makes_a_revision(
    actions: None, team: Any, browser: Client
) -> None:
    plan = needing_inputs(team)
    url = f"/plans/{plan.pk}/inputs"

    bad = browser.post(
        url, {"version": 1, "input_0": "X", "input_1": "0", "input_2": '"dinner"', "input_4": ""}
    )
    assert bad.status_code == 422
    page = bad.content.decode()
    fields = re.findall(r'<div class="field has-error">.*?</div>', page, re.S)
    assert len(fields) == 1
    assert "input_4" in fields[0]
    assert "This field is required." in fields[0]

    bad = browser.post(
        url,
        {"version": 1, "input_0": "X", "input_1": "0", "input_2": '"dinner"', "input_4": "soup\n"},
    )
    assert bad.status_code == 422
    page = bad.content.decode()
    assert "&#x27;X&#x27; is too short" in page
    assert "0 is less than the minimum of 1" in page
    plan.refresh_from_db()
    assert plan.version == 1

    done = browser.post(
        url,
        {
            "version": 1,
            "input_0": "Lyon",
            "input_1": "4",
            "input_2": '"dinner"',
            "input_3": "on",
            "input_4": "soup\nsalad\n",
        },
    )
    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 2
    assert plan.inputs == {
        "city": "Lyon",
        "guests": 4,
        "meal": "dinner",
        "terrace": True,
        "dishes": ["soup", "salad"],
    }
    assert plan.steps.get(key="book").params["dishes"] == ["soup", "salad"]
    page = browser.get(f"/plans/{plan.pk}/").content.decode()
    assert "Inputs supplied: version 2 is ready for review." in page
    assert 'id="missing-inputs-note"' not in page

    approved = browser.post(f"/plans/{plan.pk}/approve", {"version": 2})
    assert approved.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_a_viewer_sees_no_form(actions: None, team: Any) -> None:
    plan = needing_inputs(team)
    viewer = UserFactory(username="vic")
    from plans.models import Membership

    Membership.objects.create(team=team, user=viewer, role="viewer")
    client = Client()
    client.force_login(viewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "needs 5 more inputs" in page
    assert 'name="input_0"' not in page
