"""An item of a fan-out is not skipped on its own: its fan-out step moves the items on."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.orchestration.support import fanned_out, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_refuses_to_skip_an_item(api: ApiClient, team, worker):
    plan = fanned_out(team, worker, [1, 2])

    response = api.post(f"/plans/{plan.pk}/steps/each[1]/skip", {"reason": "no"})

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "step 'each[1]' is an item of a fan-out step; items are not skipped"
    )
    assert steps_of(plan)["each[1]"].status == "pending"
