"""Functions for guardrail tests: a python-executor function that records its calls and returns
what its params say, and named checks."""

from __future__ import annotations

from typing import Any

from executors.protocol import StepSpec

CALLS: list[str] = []


def record(spec: StepSpec) -> Any:
    """Records that it ran, and returns params.returns."""
    CALLS.append(spec.step_key)
    return spec.params.get("returns")


def no_secrets(value: Any) -> str | None:
    """Blocks anything mentioning a password."""
    return "mentions a password" if "password" in str(value) else None


def always_raises(value: Any) -> None:
    raise RuntimeError("the check broke")


CHECKS = {
    "no_secrets": f"{__name__}:no_secrets",
    "always_raises": f"{__name__}.always_raises",
}
