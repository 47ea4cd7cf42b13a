"""A checkpoint keeps who must approve: the plan's quorum and each gate's, by group name."""

from __future__ import annotations

import pytest

from plans import checkpoints
from plans.models import PlanStep
from tests.factories import TeamFactory, step, submit_plan
from tests.plans.approvals.support import group


def test_it_restores_the_plans_and_the_gates_quorum(team):
    group(team, "finance")
    group(team, "ops")
    plan = submit_plan(
        team,
        [step("deploy", approval={"group": "ops", "count": 2})],
        required_approvals=3,
        approver_group="finance",
    )
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()

    restored = checkpoints.checkpoint_restore(data)

    assert (restored.required_approvals, restored.approver_group.name) == (3, "finance")
    deploy = PlanStep.objects.get(plan=restored, key="deploy")
    assert (deploy.approval, deploy.approval_group.name, deploy.approval_count) == (
        "required",
        "ops",
        2,
    )


def test_it_refuses_a_team_without_the_named_group(team):
    group(team, "ops")
    plan = submit_plan(team, [step("deploy", approval={"group": "ops", "count": 2})])
    data = checkpoints.checkpoint_for_plan(plan)

    with pytest.raises(checkpoints.CheckpointError, match="no approver group 'ops'"):
        checkpoints.checkpoint_restore(data, team=TeamFactory(name="globex"), new_id=True)
