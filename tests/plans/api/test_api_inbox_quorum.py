"""GET /api/v1/inbox: each waiting plan and gate says how far its approvals have got."""

from __future__ import annotations

from typing import Any

from plans import services
from tests.factories import submit_plan
from tests.plans.approvals.support import by, group, person
from tests.plans.inbox.helpers import ago, needing_attention


def test_it_shows_each_items_approvals_against_its_quorum(api: Any, team: Any) -> None:
    alice = person(team, "ada")
    group(team, "finance", alice, person(team, "bob"))
    plan = submit_plan(team, required_approvals=2, approver_group="finance", title="Pay")
    services.plan_approve(plan=plan, actor=by(alice), version=1)
    single = submit_plan(team, title="Plain")
    needing_attention(team, "Stuck", since=ago(minutes=5))

    items = {item["plan_title"]: item for item in api.get("/inbox").json()["items"]}

    assert items["Pay"]["approvals"] == {
        "required": 2,
        "count": 1,
        "by": ["user:ada"],
        "group": "finance",
        "needed": 1,
    }
    assert items["Plain"]["approvals"] == {
        "required": 1,
        "count": 0,
        "by": [],
        "group": None,
        "needed": 1,
    }
    assert items["Plain"]["plan_id"] == str(single.pk)
    assert items["Stuck"]["approvals"] is None
