"""Helpers for the discussion tests."""

from __future__ import annotations

from plans import services
from plans.models import Plan
from plans.revisions import content
from plans.revisions.services import RevisionDraft, plan_revise, step_drafts


def revise(plan: Plan) -> Plan:
    """Answer a request for changes as an integration does: a new revision (here with the same
    steps), which makes the plan a draft again at the next version."""
    plan.refresh_from_db()
    steps = step_drafts(content.plan_content(plan))
    draft = RevisionDraft(base_version=plan.version, steps=steps, comment="as asked")
    plan_revise(plan=plan, actor=services.SYSTEM, draft=draft)
    plan.refresh_from_db()
    return plan
