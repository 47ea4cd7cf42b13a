"""Guardrails in the worker: a step's input is screened before its executor runs, and its result
after a success, before it is recorded (plans/guardrails/ has the checks).

What the input checks read is what the executor gets: `{"params": ..., "inputs": ...}` of the
StepSpec (a fan-out item's inputs are `{"item": ..., "index": ...}`). A blocked input never
reaches the executor; a blocked result is not recorded as the step's result and never reaches
a dependent. Either fails the attempt as `guardrail` (never retried), keeping what the check
found and not the blocked data; with on_block "ask" the failure asks a reviewer (`Report.ask`).
Warnings, and the block, go into the step's event (`Report.note["guardrails"]`).
"""

from __future__ import annotations

from typing import Any

from executors.protocol import FailureClass, StepOutcome, StepSpec
from orchestration.engine.claims import Claim, Report
from plans.guardrails.config import applied
from plans.guardrails.screen import Screened, screen


def step_input(spec: StepSpec) -> dict[str, Any]:
    """The value input checks read."""
    return {"params": spec.params, "inputs": spec.inputs}


def screen_input(claim: Claim, spec: StepSpec) -> Screened:
    """The input checks' findings. Never raises: a check that raises blocks."""
    rules = applied(claim.executor, claim.guardrails)
    if not rules.input:
        return Screened()
    return screen(rules.input, step_input(spec), stage="input", on_block=rules.on_block)


def blocked_input(screened: Screened) -> StepOutcome | None:
    """The attempt's failure when the input was blocked, else None."""
    if screened.blocked is None:
        return None
    return StepOutcome.failure(screened.error, FailureClass.GUARDRAIL)


def report(claim: Claim, outcome: StepOutcome, screened: Screened | None) -> Report:
    """The report for an attempt's outcome: a success whose result the output checks or the
    quality gate block becomes a `guardrail` failure; every finding goes into the note."""
    findings = list(screened.findings) if screened is not None else []
    ask = bool(screened and screened.blocked and screened.ask)
    if outcome.ok:
        rules = applied(claim.executor, claim.guardrails)
        if rules.output or claim.quality is not None:
            out = screen(
                rules.output,
                outcome.result,
                stage="output",
                on_block=rules.on_block,
                quality=claim.quality,
            )
            findings += out.findings
            if out.blocked is not None:
                # The result is dropped here: only the violation is kept.
                outcome = StepOutcome.failure(
                    out.error, FailureClass.GUARDRAIL, usage=outcome.usage
                )
                ask = out.ask
    note = {"guardrails": [f.as_json() for f in findings]} if findings else {}
    return Report(claim=claim, outcome=outcome, ask=ask, note=note)
