"""The `catalog` planner: no model, the same answer for the same question.

It routes a goal to actions by the words of their names and descriptions, builds the simplest
plan that uses them (one step per action, in the order the goal mentions them), binds each
required input to an earlier step's result field of the same name where one fits, or else to a
plan input of the input's name, so that what the goal does not say shows up as a missing input.
Extraction reads `name: value` pairs, numbers, enum values, yes/no and quoted text out of a
message, by each missing input's schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from plans.bindings.flow import MissingInput, value_problems
from plans.catalog.spec import ActionSpec
from plans.planning.brief import Brief, Candidate, CannotPlan, Extraction
from plans.validation import Problem

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "given",
        "give",
        "in",
        "into",
        "is",
        "it",
        "its",
        "it's",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "some",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "these",
        "this",
        "those",
        "to",
        "up",
        "us",
        "was",
        "we",
        "what",
        "when",
        "which",
        "with",
        "would",
        "you",
        "your",
        "each",
        "every",
        "all",
        "any",
        "plan",
        "step",
    ]
)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
QUOTED = re.compile(r"\"([^\"]*)\"|“([^”]*)”|'([^']*)'")


def stem(word: str) -> str:
    """A crude English stem, enough to match "numbers" with "number" and "counts" with "count"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The words of `text` that mean something, stemmed, in order."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))
    return [stem(w) for w in words if w not in STOPWORDS and not w.isdigit()]


class CatalogPlanner:
    name = "catalog"
    model = ""

    def draft(
        self, brief: Brief, *, previous: Candidate | None, problems: Sequence[Problem]
    ) -> Candidate:
        chosen = route(brief.goal, brief.actions)
        if not chosen:
            listed = "; ".join(f"{a.name} ({a.description})" for a in brief.actions.values())
            raise CannotPlan(
                "no action of the catalog matches the goal; name what to do in the words of "
                f"an action: {listed or 'the catalog is empty'}"
            )
        steps: list[dict[str, Any]] = []
        produced: list[tuple[str, ActionSpec]] = []
        for action in chosen:
            key = unique_key(action.name, {s["key"] for s in steps})
            steps.append(
                {
                    "key": key,
                    "title": action.name.replace("_", " ").capitalize(),
                    "task": action.description or action.name,
                    "action": action.name,
                    "inputs": bind(action, produced, brief.inputs),
                }
            )
            produced.append((key, action))
        names = ", ".join(a.name for a in chosen)
        reasoning = f"The goal's words match these actions, in the order it names them: {names}."
        if problems:
            # The same question has the same answer: a repair cannot do better than the draft.
            reasoning += " The draft was checked again unchanged: this planner does not repair."
        return Candidate(
            plan={"title": title_of(brief.goal), "reasoning": reasoning, "steps": steps},
            reasoning=reasoning,
        )

    def extract(self, missing: Sequence[MissingInput], message: str) -> Extraction:
        values: dict[str, Any] = {}
        notes: list[str] = []
        for item in missing:
            alone = len(missing) == 1 or sum(same_kind(item, m) for m in missing) == 1
            value = read_value(item, message, alone=alone)
            if value is None:
                notes.append(f"no value for {item.name} in the message")
            elif value_problems(item.schema, value, ()):
                notes.append(f"{item.name}: {json.dumps(value)} does not fit its schema")
            else:
                values[item.name] = value
        return Extraction(values=values, notes=notes)


def route(goal: str, actions: Mapping[str, ActionSpec]) -> list[ActionSpec]:
    """The actions the goal asks for, in the order it mentions them: every action one of whose
    name's words the goal uses, or that shares two words with the goal; failing that, the one
    that shares the most."""
    words = terms(goal)
    found: list[tuple[int, str, ActionSpec]] = []
    best: tuple[int, int, str] | None = None
    for action in actions.values():
        name_terms = set(terms(action.name))
        all_terms = name_terms | set(terms(action.description))
        shared = [i for i, w in enumerate(words) if w in all_terms]
        if not shared:
            continue
        by_name = any(words[i] in name_terms for i in shared)
        score = len({words[i] for i in shared})
        if by_name or score >= 2:
            found.append((shared[0], action.name, action))
        if best is None or (score, -shared[0]) > best[:2]:
            best = (score, -shared[0], action.name)
    if found:
        return [action for _, _, action in sorted(found, key=lambda f: (f[0], f[1]))]
    return [actions[best[2]]] if best else []


def bind(
    action: ActionSpec, produced: list[tuple[str, ActionSpec]], known: Mapping[str, Any]
) -> dict[str, Any]:
    """The action's inputs: required ones and those the requester gave, each from the latest
    earlier step whose result has a field of that name and type, or else a plan input."""
    properties = action.input_schema.get("properties") or {}
    required = list(action.input_schema.get("required") or [])
    inputs: dict[str, Any] = {}
    for name in [*required, *(n for n in properties if n in known and n not in required)]:
        wanted = (properties.get(name) or {}).get("type")
        source = next(
            (
                key
                for key, earlier in reversed(produced)
                if result_field_type(earlier, name) not in (None, "")
                and result_field_type(earlier, name) == wanted
            ),
            None,
        )
        inputs[name] = {"$from": f"{source}.result.{name}"} if source else {"$input": name}
    return inputs


def result_field_type(action: ActionSpec, name: str) -> str | None:
    schema = action.output_schema or {}
    found = (schema.get("properties") or {}).get(name)
    return found.get("type", "") if isinstance(found, dict) else None


def unique_key(name: str, taken: set[str]) -> str:
    key, n = name, 2
    while key in taken:
        key, n = f"{name}-{n}", n + 1
    return key


def title_of(goal: str) -> str:
    line = " ".join(goal.split())
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def kind(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "enum"
    if schema.get("type") == "array":
        return "array:" + str((schema.get("items") or {}).get("type", ""))
    return str(schema.get("type", ""))


def same_kind(a: MissingInput, b: MissingInput) -> bool:
    return kind(a.schema) == kind(b.schema)


def read_value(item: MissingInput, message: str, *, alone: bool) -> Any:
    """The value of one input in `message`: after its name ("text: ...", "limit = 3", "urgent
    is yes"), or, when no other missing input has the same kind, found by its kind."""
    schema = item.schema
    named = re.compile(
        rf"\b{re.escape(item.name).replace('_', '[_ ]')}\b\s*(?::|=|\bis\b)\s*"
        r"(\"[^\"]*\"|“[^”]*”|'[^']*'|\[[^\]]*\]|[^,;\n]+)",
        re.IGNORECASE,
    )
    match = named.search(message)
    if match:
        return coerce(schema, match.group(1).strip())
    if not alone:
        return None
    return coerce(schema, message, whole=True)


def coerce(schema: Mapping[str, Any], text: str, *, whole: bool = False) -> Any:
    """`text` read as a value of `schema`, or None if it holds none."""
    what = kind(schema)
    if what == "enum":
        options = [o for o in schema["enum"] if isinstance(o, str) and o]
        seen = [o for o in options if re.search(rf"\b{re.escape(o)}\b", text, re.IGNORECASE)]
        return seen[0] if len(seen) == 1 else None
    if what in ("integer", "number"):
        numbers = NUMBER.findall(text)
        if len(numbers) != 1 and not (numbers and not whole):
            return None
        value = float(numbers[0])
        return int(value) if what == "integer" and value.is_integer() else value
    if what in ("array:number", "array:integer"):
        numbers = [float(n) for n in NUMBER.findall(text)]
        if not numbers:
            return None
        return [int(n) if what == "array:integer" or n.is_integer() else n for n in numbers]
    if what == "boolean":
        yes = re.search(r"\b(yes|true|on)\b", text, re.IGNORECASE)
        no = re.search(r"\b(no|not|false|off)\b", text, re.IGNORECASE)
        return None if bool(yes) == bool(no) else bool(yes)
    if what.startswith("array"):
        inner = text.strip().strip("[]")
        parts = [p.strip().strip("\"'“”") for p in re.split(r"[,;\n]", inner)]
        return [p for p in parts if p] or None
    if what in ("string", ""):
        quoted = [next(g for g in m.groups() if g is not None) for m in QUOTED.finditer(text)]
        if quoted:
            return quoted[0] if len(quoted) == 1 else None
        stripped = text.strip()
        return stripped or None
    return None
