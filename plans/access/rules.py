"""What each role and scope allows, as tables. Pure: no database."""

from __future__ import annotations

from enum import StrEnum

from plans.models import Role, Scope


class Action(StrEnum):
    """Something a person or a token does to a plan."""

    APPROVE = "approve"
    CANCEL = "cancel"
    SKIP = "skip"
    REQUEST_CHANGES = "request_changes"
    GATE_APPROVE = "gate_approve"
    RETRY = "retry"
    FAIL = "fail"
    REVISE = "revise"
    COMMENT = "comment"
    ADD_ARTIFACT = "add_artifact"
    EXTEND_DEADLINE = "extend_deadline"
    # The team's policy (plans/policy/): a team change, for its admins and policy:write tokens.
    CHANGE_POLICY = "change_policy"
    RAISE_BUDGET = "raise_budget"


# Decisions: what the submitting token may never do to its own plan under separation of duties.
DECISIONS = frozenset(
    {
        Action.APPROVE,
        Action.CANCEL,
        Action.SKIP,
        Action.REQUEST_CHANGES,
        Action.GATE_APPROVE,
        Action.RETRY,
        Action.FAIL,
        Action.EXTEND_DEADLINE,
        Action.RAISE_BUDGET,
    }
)
# Approvals: what whoever revised a plan may not do to it under separation of duties.
APPROVALS = frozenset({Action.APPROVE, Action.GATE_APPROVE})

# The scope a token needs for each action.
ACTION_SCOPE: dict[Action, Scope] = {
    **dict.fromkeys(DECISIONS, Scope.DECIDE),
    Action.REVISE: Scope.SUBMIT,
    Action.COMMENT: Scope.SUBMIT,
    Action.ADD_ARTIFACT: Scope.SUBMIT,
    Action.CHANGE_POLICY: Scope.POLICY_WRITE,
}

# Roles from least to most: each may do what the ones before it may.
ROLE_RANK: dict[str, int] = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.ADMIN: 2}

# The least role a person needs for each action: every change to a plan is a reviewer's.
ACTION_ROLE: dict[Action, Role] = dict.fromkeys(Action, Role.REVIEWER) | {
    Action.CHANGE_POLICY: Role.ADMIN
}

# How a refusal names the action: "<someone> is a viewer in acme; approving needs reviewer".
ACTION_WORDS: dict[Action, str] = {
    Action.APPROVE: "approving",
    Action.CANCEL: "cancelling",
    Action.SKIP: "skipping steps",
    Action.REQUEST_CHANGES: "requesting changes",
    Action.GATE_APPROVE: "approving steps",
    Action.RETRY: "retrying steps",
    Action.FAIL: "failing plans",
    Action.REVISE: "revising",
    Action.COMMENT: "commenting",
    Action.ADD_ARTIFACT: "adding artifacts",
    Action.EXTEND_DEADLINE: "extending deadlines",
    Action.CHANGE_POLICY: "changing the policy",
    Action.RAISE_BUDGET: "raising budgets",
}


def role_allows(role: str | None, needed: str) -> bool:
    """Whether `role` (None: not a member) is at least `needed`."""
    if role is None or role not in ROLE_RANK:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[needed]


def may_decide(role: str | None) -> bool:
    return role_allows(role, Role.REVIEWER)


def may_manage(role: str | None) -> bool:
    return role_allows(role, Role.ADMIN)


def parse_scopes(values: list[str]) -> list[str]:
    """Scope values in their canonical order. Raises ValueError naming an unknown one."""
    known = Scope.values
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; scopes are: {', '.join(known)}")
    return [v for v in known if v in values]
