"""Racing changes to a team's policy: of several on the same base version exactly one becomes
the next version, the others are refused naming it; a submission racing a change is evaluated
against one whole version."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.models import PolicyVersion, Scope, TeamEvent
from plans.policy.services import policy_change
from plans.states import StaleVersion
from tests.factories import submit_plan
from tests.plans.policy.support import rule
from tests.races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_changes_on_the_same_base_have_one_winner(team: Any) -> None:
    token, _ = services.token_create(team=team, name="p", scopes=[Scope.POLICY_WRITE.value])
    actor = services.Actor.for_token(token)
    for base in range(3):
        outcomes = at_once(
            [
                lambda n=n, b=base: policy_change(
                    team=team,
                    actor=actor,
                    base_version=b,
                    document={"rules": [rule(f"r{n}", "require_gate")]},
                )
                for n in range(3)
            ]
        )
        won = [o for o in outcomes if isinstance(o, PolicyVersion)]
        lost = [o for o in outcomes if isinstance(o, StaleVersion)]
        assert len(won) == 1, outcomes
        assert len(lost) == 2, outcomes
        assert all(o.current_version == base + 1 for o in lost)
    assert list(
        PolicyVersion.objects.filter(team=team)
        .order_by("version")
        .values_list("version", flat=True)
    ) == [1, 2, 3]
    assert TeamEvent.objects.filter(team=team, kind="policy.changed").count() == 3


def test_a_submission_racing_a_change_sees_one_whole_version(team: Any) -> None:
    token, _ = services.token_create(team=team, name="p", scopes=[Scope.POLICY_WRITE.value])
    actor = services.Actor.for_token(token)
    outcomes = at_once(
        [
            lambda: policy_change(
                team=team,
                actor=actor,
                base_version=0,
                document={"rules": [rule("gate", "require_gate")]},
            ),
            lambda: submit_plan(team),
        ]
    )
    plan = outcomes[1]
    decision = plan.revisions.get().policy
    gated = [s.approval for s in plan.steps.all()]
    if decision["version"] is None:
        assert gated == ["none", "none"]
    else:
        assert decision["version"] == 1
        assert gated == ["required", "required"]
