"""A viewer reads every page and is offered no action on any: no form posts from the plan
list, the plan page (draft, gated, needing attention), the inbox or the diff."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from plans.models import Membership, Role
from tests.factories import UserFactory, submit_plan
from tests.plans.gates.support import started
from tests.plans.rescue.support import needing_attention

pytestmark = pytest.mark.django_db


def posting_forms(body: str) -> list[str]:
    actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', body)
    return [a for a in actions if a != "/accounts/logout/"]


def as_role(team: Any, role: str) -> Client:
    user = UserFactory(username=role)
    Membership.objects.create(team=team, user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_it_offers_a_viewer_no_action_anywhere(team: Any) -> None:
    plans = [submit_plan(team), started(team), needing_attention(team)]
    viewer, reviewer = as_role(team, Role.VIEWER), as_role(team, Role.REVIEWER)
    pages = [
        "/",
        "/inbox",
        *(f"/plans/{p.pk}/" for p in plans),
        f"/plans/{plans[0].pk}/diff",
    ]

    for page in pages:
        response = viewer.get(page)
        assert response.status_code == 200, page
        assert posting_forms(response.content.decode()) == [], page

    # Nothing waits for a viewer's decision.
    assert "Nothing waits for you" in viewer.get("/inbox").content.decode()

    # The same pages offer a reviewer their actions.
    assert posting_forms(reviewer.get(f"/plans/{plans[0].pk}/").content.decode())
    assert posting_forms(reviewer.get(f"/plans/{plans[1].pk}/").content.decode())
    assert posting_forms(reviewer.get(f"/plans/{plans[2].pk}/").content.decode())
    assert posting_forms(reviewer.get("/inbox").content.decode())


def test_it_refuses_a_viewer_the_edit_page(team: Any) -> None:
    plan = submit_plan(team)

    response = as_role(team, Role.VIEWER).get(f"/plans/{plan.pk}/edit")

    assert response.status_code == 403
    assert "viewer is a viewer in acme; revising needs reviewer." in response.content.decode()
