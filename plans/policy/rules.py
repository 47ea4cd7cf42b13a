"""A team's policy as a JSON document: its schema, the problems with one (each with its JSON
path), and what it decides about a plan. Pure: no database.

    {
      "rules": [
        {"name": "no-prod-shell", "when": {"executor_in": ["shell"],
                                           "params": {"$.host": {"matches": "^prod-"}}},
         "action": "forbid", "reason": "Production hosts are changed by the deploy pipeline."},
        {"name": "cheap-echo", "when": {"executors_within": ["echo"], "estimated_cost": {"lte": 1}},
         "action": "auto_approve"},
        {"name": "two-for-payments", "when": {"tags_any": ["payments"]},
         "action": "require_approvals", "count": 2, "group": "finance", "shadow": true}
      ],
      "permissions": [{"executor": "http", "role": "researcher", "mode": "ask"}]
    }

A rule holds when every part of its `when` holds. Step parts (`executor_in`, `params`) hold for a
step; the rule then holds when at least one step meets all of them, and records which. Plan
parts (everything else) hold for the plan as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from plans.deadlines.rules import MAX_DEADLINE_SECONDS, PLAN_ON_TIMEOUT
from plans.validation import Loc, Problem

MAX_RULES = 200
MAX_PERMISSIONS = 500
MAX_NAME = 100
MAX_REASON = 1000
MAX_ROLE = 50
MAX_APPROVALS = 100


class RuleAction(StrEnum):
    FORBID = "forbid"
    REQUIRE_GATE = "require_gate"
    REQUIRE_APPROVALS = "require_approvals"
    AUTO_APPROVE = "auto_approve"
    SET_DEADLINE = "set_deadline"


class Mode(StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


# What each action says beside `action`, and whether it must.
ACTION_FIELDS: dict[str, dict[str, bool]] = {
    RuleAction.FORBID: {},
    RuleAction.REQUIRE_GATE: {},
    RuleAction.REQUIRE_APPROVALS: {"count": True, "group": False},
    RuleAction.AUTO_APPROVE: {},
    RuleAction.SET_DEADLINE: {"seconds": True, "on_timeout": True},
}
RULE_FIELDS = frozenset({"name", "when", "action", "shadow", "reason"})
# "would have ..." for shadow rules; what it did for the others.
ACTION_WORDS: dict[str, tuple[str, str]] = {
    RuleAction.FORBID: ("forbade", "would have forbidden"),
    RuleAction.REQUIRE_GATE: ("made the steps gates", "would have made the steps gates"),
    RuleAction.REQUIRE_APPROVALS: ("required approvals", "would have required approvals"),
    RuleAction.AUTO_APPROVE: ("approved the plan", "would have auto-approved"),
    RuleAction.SET_DEADLINE: ("set the deadline", "would have set the deadline"),
    Mode.ASK: ("made the steps gates", "would have made the steps gates"),
    Mode.DENY: ("forbade", "would have forbidden"),
}
# Value tests: what each compares, and what it takes.
STRING_TESTS = ("equals", "in", "matches")
NUMBER_TESTS = ("gt", "gte", "lt", "lte")
VALUE_TESTS = (*STRING_TESTS, *NUMBER_TESTS)
# Parts of `when`: step parts match per step, plan parts the plan.
STEP_PARTS = ("executor_in", "params")
PLAN_PARTS = (
    "executors_within",
    "tags_any",
    "steps",
    "user_id",
    "topic_id",
    "estimated_cost",
    "token",
)
PATH_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")


# --- Validation ---------------------------------------------------------------------------------


def problems(
    document: Any,
    *,
    groups: Sequence[str] | None = None,
    allow_approve_on_timeout: bool | None = None,
    executors: Sequence[str] | None = None,
) -> list[Problem]:
    """Every problem with a policy document, each with its path (`rules[2].when.params.$.url`).
    With `groups`, a require_approvals rule must name one of them; with `executors`, a permission
    must name one of them (or "*"); with `allow_approve_on_timeout` False, set_deadline may not
    approve."""
    if not isinstance(document, dict):
        return [Problem((), "give an object with 'rules' and 'permissions'")]
    found: list[Problem] = [
        Problem((key,), "unknown field; give 'rules' and 'permissions'")
        for key in document
        if key not in ("rules", "permissions")
    ]
    rules = document.get("rules", [])
    if not isinstance(rules, list):
        found.append(Problem(("rules",), "must be a list of rules"))
        rules = []
    elif len(rules) > MAX_RULES:
        found.append(Problem(("rules",), f"at most {MAX_RULES} rules"))
    names: set[str] = set()
    for i, rule in enumerate(rules):
        found.extend(
            _rule_problems(
                ("rules", i), rule, names, groups=groups, allow_approve=allow_approve_on_timeout
            )
        )
    permissions = document.get("permissions", [])
    if not isinstance(permissions, list):
        found.append(Problem(("permissions",), "must be a list of {executor, role, mode}"))
        permissions = []
    elif len(permissions) > MAX_PERMISSIONS:
        found.append(Problem(("permissions",), f"at most {MAX_PERMISSIONS} permissions"))
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(permissions):
        found.extend(_permission_problems(("permissions", i), entry, seen, executors=executors))
    return found


def _rule_problems(
    loc: Loc,
    rule: Any,
    names: set[str],
    *,
    groups: Sequence[str] | None,
    allow_approve: bool | None,
) -> list[Problem]:
    if not isinstance(rule, dict):
        return [Problem(loc, "must be an object with name, when and action")]
    found: list[Problem] = []
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        found.append(Problem((*loc, "name"), f"give a name of 1 to {MAX_NAME} characters"))
    elif name in names:
        found.append(Problem((*loc, "name"), f"another rule is named {name!r}; names are unique"))
    else:
        names.add(name)
    action = rule.get("action")
    allowed = set(RULE_FIELDS)
    if not isinstance(action, str) or action not in ACTION_FIELDS:
        found.append(Problem((*loc, "action"), f"must be one of: {', '.join(ACTION_FIELDS)}"))
    else:
        fields = ACTION_FIELDS[action]
        allowed |= set(fields)
        found.extend(
            Problem((*loc, f), f"{action} needs {f!r}")
            for f, required in fields.items()
            if required and f not in rule
        )
        found.extend(_action_problems(loc, rule, action, groups, allow_approve))
    found.extend(
        Problem((*loc, key), "unknown field for this action") for key in rule if key not in allowed
    )
    if "when" not in rule:
        found.append(Problem((*loc, "when"), "give a condition ({} holds for every plan)"))
    else:
        found.extend(_when_problems((*loc, "when"), rule["when"]))
    if not isinstance(rule.get("shadow", False), bool):
        found.append(Problem((*loc, "shadow"), "must be true or false"))
    reason = rule.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        found.append(Problem((*loc, "reason"), f"must be text of at most {MAX_REASON} characters"))
    return found


def _action_problems(
    loc: Loc, rule: dict[str, Any], action: str, groups: Sequence[str] | None, allow: bool | None
) -> list[Problem]:
    found: list[Problem] = []
    if action == RuleAction.REQUIRE_APPROVALS:
        count: Any = rule.get("count")
        if "count" in rule and (not _is_int(count) or not 1 <= count <= MAX_APPROVALS):
            found.append(
                Problem((*loc, "count"), f"must be a whole number from 1 to {MAX_APPROVALS}")
            )
        group = rule.get("group")
        if group is not None:
            if not isinstance(group, str) or not group:
                found.append(Problem((*loc, "group"), "must be an approver group's name"))
            elif groups is not None and group not in groups:
                known = ", ".join(groups) or "none"
                found.append(
                    Problem(
                        (*loc, "group"),
                        f"the team has no approver group {group!r}; it has: {known}",
                    )
                )
    if action == RuleAction.SET_DEADLINE:
        seconds: Any = rule.get("seconds")
        if "seconds" in rule and (not _is_int(seconds) or not 1 <= seconds <= MAX_DEADLINE_SECONDS):
            found.append(
                Problem(
                    (*loc, "seconds"), f"must be a whole number from 1 to {MAX_DEADLINE_SECONDS}"
                )
            )
        on_timeout = rule.get("on_timeout")
        if "on_timeout" in rule and on_timeout not in PLAN_ON_TIMEOUT:
            found.append(
                Problem((*loc, "on_timeout"), f"must be one of: {', '.join(PLAN_ON_TIMEOUT)}")
            )
        elif on_timeout == "approve" and allow is False:
            found.append(
                Problem(
                    (*loc, "on_timeout"), "the team does not allow approving when a deadline passes"
                )
            )
    return found


def _when_problems(loc: Loc, when: Any) -> list[Problem]:
    if not isinstance(when, dict):
        return [Problem(loc, "must be an object of condition parts")]
    found: list[Problem] = []
    for key, value in when.items():
        at = (*loc, key)
        if key in ("executor_in", "executors_within", "tags_any"):
            if not _string_list(value):
                found.append(Problem(at, "must be a non-empty list of names"))
        elif key == "params":
            if not isinstance(value, dict) or not value:
                found.append(Problem(at, 'must map JSON paths to tests: {"$.url": {...}}'))
                continue
            for path, test in value.items():
                if parse_path(path) is None:
                    found.append(
                        Problem((*at, path), 'not a JSON path: "$" then .name, [0] or ["name"]')
                    )
                found.extend(_test_problems((*at, path), test, VALUE_TESTS))
        elif key in ("steps", "estimated_cost"):
            found.extend(_test_problems(at, value, (*NUMBER_TESTS, "equals")))
        elif key in ("user_id", "topic_id"):
            found.extend(_test_problems(at, value, STRING_TESTS))
        elif key == "token":
            found.extend(_token_problems(at, value))
        else:
            known = ", ".join((*STEP_PARTS, *PLAN_PARTS))
            found.append(Problem(at, f"unknown condition; conditions are: {known}"))
    return found


def _token_problems(loc: Loc, value: Any) -> list[Problem]:
    if not isinstance(value, dict) or not value:
        return [Problem(loc, 'give {"name": {...test}} or {"prefix": "pgt_ab12"}')]
    found: list[Problem] = []
    for key, test in value.items():
        if key == "name":
            found.extend(_test_problems((*loc, key), test, STRING_TESTS))
        elif key == "prefix":
            if not isinstance(test, str) or not test:
                found.append(Problem((*loc, key), "must be the start of a token's prefix"))
        else:
            found.append(Problem((*loc, key), "unknown field; give 'name' or 'prefix'"))
    return found


def _test_problems(loc: Loc, test: Any, allowed: Sequence[str]) -> list[Problem]:
    if not isinstance(test, dict) or not test:
        return [Problem(loc, f"must be a test: an object with any of {', '.join(allowed)}")]
    found: list[Problem] = []
    for op, operand in test.items():
        at = (*loc, op)
        if op not in allowed:
            found.append(Problem(at, f"unknown test; here: {', '.join(allowed)}"))
        elif op in NUMBER_TESTS and not _is_number(operand):
            found.append(Problem(at, "must be a number"))
        elif op == "in" and not isinstance(operand, list):
            found.append(Problem(at, "must be a list of values"))
        elif op == "matches":
            if not isinstance(operand, str):
                found.append(Problem(at, "must be a regular expression"))
            else:
                try:
                    re.compile(operand)
                except re.error as exc:
                    found.append(Problem(at, f"not a regular expression: {exc}"))
    return found


def _permission_problems(
    loc: Loc, entry: Any, seen: set[tuple[str, str]], *, executors: Sequence[str] | None
) -> list[Problem]:
    if not isinstance(entry, dict):
        return [Problem(loc, "must be an object {executor, role, mode}")]
    found: list[Problem] = [
        Problem((*loc, key), "unknown field; give executor, role and mode")
        for key in entry
        if key not in ("executor", "role", "mode")
    ]
    executor, role = entry.get("executor"), entry.get("role")
    if not isinstance(executor, str) or not executor:
        found.append(Problem((*loc, "executor"), 'give an executor\'s name or "*"'))
    elif executors is not None and executor != "*" and executor not in executors:
        found.append(
            Problem(
                (*loc, "executor"),
                f"unknown executor {executor!r}; registered: {', '.join(executors)}",
            )
        )
    if not isinstance(role, str) or not role or len(role) > MAX_ROLE:
        found.append(
            Problem((*loc, "role"), f'give a role of at most {MAX_ROLE} characters or "*"')
        )
    if entry.get("mode") not in tuple(Mode):
        found.append(Problem((*loc, "mode"), "must be allow, ask or deny"))
    if isinstance(executor, str) and isinstance(role, str):
        if (executor, role) in seen:
            found.append(Problem(loc, f"another entry is for {executor}/{role} already"))
        seen.add((executor, role))
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def parse_path(path: Any) -> list[str | int] | None:
    """A JSON path ("$", then .name, [0] or ["name"] segments) as its segments; None if it is
    not one."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    segments: list[str | int] = []
    at = 1
    while at < len(path):
        match = PATH_SEGMENT.match(path, at)
        if match is None:
            return None
        name, index, quoted = match.groups()
        segments.append(int(index) if index is not None else (name if name is not None else quoted))
        at = match.end()
    return segments


# --- Evaluation ---------------------------------------------------------------------------------

MISSING = object()


@dataclass(frozen=True)
class StepFacts:
    key: str
    executor: str
    params: dict[str, Any]
    estimated_cost: Decimal | None = None
    # Where the step is in the request body, for a refusal's path.
    loc: Loc = ()


@dataclass(frozen=True)
class PlanFacts:
    """What a policy looks at: the plan, its steps, and who submitted it."""

    steps: Sequence[StepFacts]
    user_id: str = ""
    topic_id: str = ""
    tags: Sequence[str] = ()
    token_name: str | None = None
    token_prefix: str | None = None
    # The submitter's role: a token's agent_role, a person's role in the team.
    role: str = ""

    @property
    def estimated_cost(self) -> Decimal:
        return sum((s.estimated_cost or Decimal(0) for s in self.steps), Decimal(0))


@dataclass
class Match:
    """A rule (or permission) that held, and what became of it."""

    name: str
    action: str
    shadow: bool = False
    reason: str = ""
    steps: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    # What it says beside the action: count and group, seconds and on_timeout.
    options: dict[str, Any] = field(default_factory=dict)
    applied: bool = False
    # Why it did not act although it held (an earlier rule decided, auto_approve overridden).
    overridden: str = ""
    permission: bool = False
    locs: list[Loc] = field(default_factory=list)

    @property
    def effect(self) -> str:
        done, would = ACTION_WORDS.get(self.action, ("", ""))
        if self.shadow:
            return would
        if self.overridden:
            return f"not applied: {self.overridden}"
        return done

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "kind": "permission" if self.permission else "rule",
            "action": self.action,
            "shadow": self.shadow,
            "reason": self.reason,
            "steps": self.steps,
            "why": self.why,
            "options": self.options,
            "applied": self.applied,
            "overridden": self.overridden,
            "effect": self.effect,
        }


@dataclass
class Evaluation:
    """What a policy decided about a plan."""

    version: int | None
    matches: list[Match] = field(default_factory=list)

    def acting(self, action: str) -> list[Match]:
        return [m for m in self.matches if m.action == action and m.applied]

    @property
    def forbidding(self) -> list[Match]:
        return self.acting(RuleAction.FORBID) + self.acting(Mode.DENY)

    @property
    def gated_steps(self) -> list[str]:
        keys = [
            k for m in self.acting(RuleAction.REQUIRE_GATE) + self.acting(Mode.ASK) for k in m.steps
        ]
        return list(dict.fromkeys(keys))

    @property
    def approvals(self) -> Match | None:
        return next(iter(self.acting(RuleAction.REQUIRE_APPROVALS)), None)

    @property
    def deadline(self) -> Match | None:
        return next(iter(self.acting(RuleAction.SET_DEADLINE)), None)

    @property
    def auto_approve(self) -> Match | None:
        return next(iter(self.acting(RuleAction.AUTO_APPROVE)), None)

    def refusals(self) -> list[Problem]:
        """A forbidding rule's problems: one per step it matched (or one for the plan)."""
        found: list[Problem] = []
        for m in self.forbidding:
            what = f"permission {m.name}: deny" if m.permission else f"forbidden by rule {m.name!r}"
            text = f"{what}{': ' + m.reason if m.reason else ''} ({'; '.join(m.why)})"
            found.extend(Problem(loc, text) for loc in m.locs or [("steps",)])
        return found

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "matched": [m.as_json() for m in self.matches]}


def evaluate(document: dict[str, Any], facts: PlanFacts, *, version: int | None) -> Evaluation:
    """Evaluate a valid policy document against a plan. Rules that disagree: every forbid
    refuses; the earlier rule wins for set_deadline and require_approvals; auto_approve does not
    apply when a rule or a permission requires approvals or a gate (recorded as overridden)."""
    result = Evaluation(version=version)
    for rule in document.get("rules", []):
        held = _holds(rule.get("when", {}), facts)
        if held is None:
            continue
        why, steps = held
        if not steps and rule["action"] == RuleAction.REQUIRE_GATE:
            # A condition on the plan alone (no step part) holds for every one of its steps.
            steps = list(facts.steps)
        options = {k: rule[k] for k in ACTION_FIELDS[rule["action"]] if k in rule}
        result.matches.append(
            Match(
                name=rule["name"],
                action=rule["action"],
                shadow=bool(rule.get("shadow", False)),
                reason=rule.get("reason", ""),
                steps=[s.key for s in steps],
                why=why,
                options=options,
                locs=[s.loc for s in steps if s.loc],
            )
        )
    result.matches.extend(_permission_matches(document.get("permissions", []), facts))
    _resolve(result)
    return result


def _resolve(result: Evaluation) -> None:
    first: dict[str, Match] = {}
    for m in result.matches:
        if m.shadow:
            continue
        if m.action in (
            RuleAction.SET_DEADLINE,
            RuleAction.REQUIRE_APPROVALS,
            RuleAction.AUTO_APPROVE,
        ):
            if m.action in first:
                m.overridden = f"the earlier rule {first[m.action].name!r} decides"
                continue
            first[m.action] = m
        m.applied = True
    approver = first.get(RuleAction.AUTO_APPROVE)
    if approver is not None:
        blockers = [
            m
            for m in result.matches
            if m.applied
            and m.action
            in (
                RuleAction.REQUIRE_GATE,
                RuleAction.REQUIRE_APPROVALS,
                Mode.ASK,
                RuleAction.FORBID,
                Mode.DENY,
            )
        ]
        if blockers:
            approver.applied = False
            names = ", ".join(
                f"permission {b.name}" if b.permission else repr(b.name) for b in blockers
            )
            approver.overridden = f"{names} requires a person's decision"


def _holds(when: dict[str, Any], facts: PlanFacts) -> tuple[list[str], list[StepFacts]] | None:
    """Why the condition holds (each part that held) and the steps it matched; None if not."""
    why: list[str] = []
    for key, value in when.items():
        if key in STEP_PARTS:
            continue
        said = _plan_part(key, value, facts)
        if said is None:
            return None
        why.append(said)
    step_parts = {k: v for k, v in when.items() if k in STEP_PARTS}
    if not step_parts:
        return why, []
    matched: list[StepFacts] = []
    step_why: list[str] = []
    for step in facts.steps:
        held = _step_holds(step_parts, step)
        if held is not None:
            matched.append(step)
            step_why.extend(f"{step.key}: {s}" for s in held)
    if not matched:
        return None
    return why + step_why, matched


def _step_holds(parts: dict[str, Any], step: StepFacts) -> list[str] | None:
    why: list[str] = []
    names = parts.get("executor_in")
    if names is not None:
        if step.executor not in names:
            return None
        why.append(f"executor {step.executor} is one of {', '.join(names)}")
    for path, test in parts.get("params", {}).items():
        value = _at(step.params, parse_path(path) or [])
        said = None if value is MISSING else _test(test, value)
        if said is None:
            return None
        why.append(f"params {path} {said}")
    return why


def _plan_part(key: str, value: Any, facts: PlanFacts) -> str | None:
    if key == "executors_within":
        used = sorted({s.executor for s in facts.steps})
        return f"every step uses one of {', '.join(value)}" if set(used) <= set(value) else None
    if key == "tags_any":
        tags = [t for t in value if t in facts.tags]
        return f"tagged {', '.join(tags)}" if tags else None
    if key == "steps":
        said = _test(value, len(facts.steps))
        return None if said is None else f"number of steps {said}"
    if key == "estimated_cost":
        said = _test(value, facts.estimated_cost)
        return None if said is None else f"estimated cost {said}"
    if key in ("user_id", "topic_id"):
        said = _test(value, getattr(facts, key))
        return None if said is None else f"{key} {said}"
    if key == "token":
        return _token_part(value, facts)
    return None


def _token_part(value: dict[str, Any], facts: PlanFacts) -> str | None:
    if facts.token_prefix is None:
        return None
    why = []
    if "name" in value:
        said = _test(value["name"], facts.token_name or "")
        if said is None:
            return None
        why.append(f"token name {said}")
    if "prefix" in value:
        if not facts.token_prefix.startswith(value["prefix"]):
            return None
        why.append(f"token {facts.token_prefix} starts with {value['prefix']}")
    return "; ".join(why)


def _test(test: dict[str, Any], value: Any) -> str | None:
    """How `value` passes every comparison of the test ("matches '^prod-'"), or None."""
    said = []
    for op, operand in test.items():
        if op == "equals":
            ok = _same(value, operand)
        elif op == "in":
            ok = any(_same(value, o) for o in operand)
        elif op == "matches":
            ok = isinstance(value, str) and re.search(operand, value) is not None
        else:
            number = _number(value)
            if number is None:
                return None
            limit = Decimal(str(operand))
            ok = {
                "gt": number > limit,
                "gte": number >= limit,
                "lt": number < limit,
                "lte": number <= limit,
            }[op]
        if not ok:
            return None
        said.append(f"{_show(value)} {op} {_show(operand)}")
    return " and ".join(said)


def _same(value: Any, operand: Any) -> bool:
    a, b = _number(value), _number(operand)
    if a is not None and b is not None:
        return a == b
    return bool(type(value) is type(operand) and value == operand)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = Decimal(str(value))
    return number if number.is_finite() else None


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return repr(value) if isinstance(value, str) else str(value)


def _at(value: Any, segments: list[str | int]) -> Any:
    for segment in segments:
        in_list = isinstance(segment, int) and isinstance(value, list) and 0 <= segment < len(value)
        in_object = isinstance(segment, str) and isinstance(value, dict) and segment in value
        if not (in_list or in_object):
            return MISSING
        value = value[segment]
    return value


def _permission_matches(entries: list[dict[str, Any]], facts: PlanFacts) -> list[Match]:
    """Each permission entry that is the most specific for some step, with those steps; allow
    entries do nothing and are left out."""
    by_entry: dict[int, list[StepFacts]] = {}
    for step in facts.steps:
        index = _most_specific(entries, step.executor, facts.role)
        if index is not None and entries[index]["mode"] != Mode.ALLOW:
            by_entry.setdefault(index, []).append(step)
    found = []
    for index in sorted(by_entry):
        entry, steps = entries[index], by_entry[index]
        role = facts.role or "(none)"
        found.append(
            Match(
                name=f"{entry['executor']}/{entry['role']}",
                action=entry["mode"],
                steps=[s.key for s in steps],
                why=[f"{s.key}: executor {s.executor}, submitted as role {role}" for s in steps],
                permission=True,
                locs=[s.loc for s in steps if s.loc],
            )
        )
    return found


def _most_specific(entries: list[dict[str, Any]], executor: str, role: str) -> int | None:
    # An exact executor beats "*", then an exact role beats "*".
    best: tuple[int, int] | None = None
    for i, entry in enumerate(entries):
        if entry["executor"] not in (executor, "*") or entry["role"] not in (role, "*"):
            continue
        rank = (entry["executor"] == executor) * 2 + (entry["role"] == role)
        if best is None or rank > best[0]:
            best = (rank, i)
    return None if best is None else best[1]


def rule_names(document: Any) -> dict[str, Any]:
    """The rules of a document by name (for what a change added, removed or changed)."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        return {}
    return {r["name"]: r for r in document["rules"] if isinstance(r, dict) and "name" in r}
