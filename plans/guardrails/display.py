"""A step's guardrails and quality gate as the plan page shows them before approval: every check
that will run (the executor's from PLANGATE_GUARDRAILS, then the step's own), with what it
checks, whether it blocks or only warns, and what a block does. Plan text is untrusted: these are
plain strings, and the template escapes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from plans.guardrails.checks import kind_of, label
from plans.guardrails.config import applied

# A check's argument longer than this is folded behind its first characters.
SHORT = 80


@dataclass(frozen=True)
class ShownCheck:
    stage: str
    source: str
    name: str
    # What it checks: "must match the schema", "at most 100 bytes"...
    what: str
    # The argument in full (a pattern, a schema as JSON, a name).
    text: str
    warn_only: bool
    on_block: str

    @property
    def folded(self) -> bool:
        return len(self.text) > SHORT or "\n" in self.text

    @property
    def preview(self) -> str:
        return self.text.replace("\n", " ")[: SHORT - 20] + "…"


@dataclass(frozen=True)
class Shown:
    checks: list[ShownCheck] = field(default_factory=list)
    # "quality at <path> must be at least <min>", or "".
    quality: str = ""
    quality_on_block: str = "fail"

    def __bool__(self) -> bool:
        return bool(self.checks or self.quality)


_WHAT = {
    "schema": "must be valid under the JSON Schema",
    "max_bytes": "its JSON text must be at most",
    "deny": "must not match the pattern",
    "check": "must pass the named check",
}


def shown(executor: str, guardrails: Any, quality: Any) -> Shown:
    """What the page shows for a step on `executor` with these guardrails and quality gate."""
    rules = applied(executor, guardrails)
    checks: list[ShownCheck] = []
    for stage, listed in (("input", rules.input), ("output", rules.output)):
        for source, on_block, check in listed:
            kind = kind_of(check)
            argument = check.get(kind) if kind else check
            if kind == "max_bytes":
                text = f"{argument} bytes"
            elif isinstance(argument, str):
                text = argument
            else:
                indent = 2 if kind == "schema" else None
                text = json.dumps(argument, indent=indent, ensure_ascii=False)
            checks.append(
                ShownCheck(
                    stage=stage,
                    source=source,
                    name=label(check),
                    what=_WHAT.get(kind, "an unknown check"),
                    text=text,
                    warn_only=check.get("mode") == "warn",
                    on_block=on_block,
                )
            )
    gate = ""
    if isinstance(quality, dict):
        gate = f"the number at {quality.get('path')} must be at least {quality.get('min')}"
    return Shown(checks=checks, quality=gate, quality_on_block=rules.on_block.get("step", "fail"))
