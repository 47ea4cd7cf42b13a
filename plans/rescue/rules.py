"""What a step's `on_failure` means, as queries the services and the engine share.

A step that fails for good either fails its plan ("fail", the default) or asks a reviewer
("ask", or a failure that asks whatever the step says: see `PlanStep.asks_reviewer`): the plan
then needs attention and holds until the reviewer retries the step, skips it, or fails the plan.
Only the step's own failure asks: a step stopped because its plan was cancelled, or failed
because a step it waits on failed, fails the plan as before. A fan-out
step's items keep their own rule (a failed item fails only itself); on_failure applies to the
fan-out step itself.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from executors.protocol import FailureClass
from plans.states import StepStatus


class OnFailure(models.TextChoices):
    FAIL = "fail", "Fail the plan"
    ASK = "ask", "Ask a reviewer"


# Failures that are not the step's own: they never ask.
_NOT_ITS_OWN = [FailureClass.CANCELLED, FailureClass.DEPENDENCY_FAILED]

# A failed top-level step waiting for a reviewer's decision: it asks by its on_failure, or its
# failure asked (a guardrail or a recovery recipe said so).
AWAITING_RESCUE = (
    Q(status=StepStatus.FAILED, parent=None)
    & (Q(on_failure=OnFailure.ASK) | Q(asks_reviewer=True))
    & ~Q(failure_class__in=_NOT_ITS_OWN)
)
# A failed top-level step that fails its plan.
FAILS_PLAN = Q(status=StepStatus.FAILED, parent=None) & ~AWAITING_RESCUE
