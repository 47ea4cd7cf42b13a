"""Screening a step's input or result against the checks that apply to it (config.applied): what
was found, whether it blocks, and whether a block asks a reviewer. Reads the allowlist of named
checks from settings at the time of the check, so a check removed from it stops running."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from plans.guardrails.checks import Finding, quality_finding, run
from plans.guardrails.config import import_check


@dataclass(frozen=True)
class Screened:
    """What one stage's checks found."""

    findings: list[Finding] = field(default_factory=list)
    # The first finding that blocks, if any.
    blocked: Finding | None = None
    # A block whose guardrails say on_block "ask".
    ask: bool = False

    @property
    def error(self) -> str:
        """The failure a block makes: which check, and what it found."""
        b = self.blocked
        if b is None:
            return ""
        if b.check == "quality":
            return f"guardrail: {b.message}"
        return f"guardrail {b.check!r} blocked the {b.stage}: {b.message}"


def named_check(name: str) -> Callable[[Any], Any]:
    """The allowlisted function called `name`; KeyError when it is not (or no longer) listed."""
    path = settings.PLANGATE_GUARDRAIL_CHECKS.get(name)
    if path is None:
        raise KeyError(f"{name!r} is not in PLANGATE_GUARDRAIL_CHECKS")
    return import_check(path)


def screen(
    checks: list[tuple[str, str, dict[str, Any]]],
    value: Any,
    *,
    stage: str,
    on_block: Mapping[str, str],
    quality: Any = None,
) -> Screened:
    """Run every check on `value` (all of them: each warning is recorded, and every block), and
    for the output, the quality gate after the checks."""
    findings: list[Finding] = []
    for source, _, check in checks:
        findings += run([check], value, stage=stage, source=source, lookup=named_check)
    if isinstance(quality, dict):
        gate = quality_finding(quality, value)
        if gate is not None:
            findings.append(gate)
    blocked = next((f for f in findings if f.blocks), None)
    if blocked is None:
        return Screened(findings)
    # The quality gate is the step's own (its source is "step"): it asks as the step's
    # guardrails say.
    ask = on_block.get(blocked.source) == "ask"
    return Screened(findings, blocked, ask)
