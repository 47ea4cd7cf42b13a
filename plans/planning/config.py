"""settings.PLANGATE_PLANNER: which backend drafts plans, and how it is reached.

PLANGATE_PLANNER = {
    "backend": "catalog",          # or "llm"
    "max_repairs": 2,              # candidates fed back with their problems, at most
    # for "llm": an OpenAI-compatible chat completions endpoint
    "base_url": "https://api.example.com/v1", "model": "...", "api_key": "...",
    "timeout_seconds": 60, "max_attempts": 3,
}
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from plans.planning.backends.catalog import CatalogPlanner
from plans.planning.backends.llm import LlmPlanner
from plans.planning.brief import Backend

BACKENDS = ("catalog", "llm")


def planner_settings() -> dict[str, Any]:
    return dict(getattr(settings, "PLANGATE_PLANNER", None) or {})


def max_repairs() -> int:
    return max(0, int(planner_settings().get("max_repairs", 2)))


def backend() -> Backend:
    """The configured backend. Raises ImproperlyConfigured naming what is missing."""
    config = planner_settings()
    name = config.get("backend", "catalog")
    if name == "catalog":
        return CatalogPlanner()
    if name == "llm":
        missing = [k for k in ("base_url", "model") if not config.get(k)]
        if missing:
            raise ImproperlyConfigured(
                f"PLANGATE_PLANNER backend 'llm' needs {' and '.join(missing)} "
                "(PLANGATE_PLANNER_URL, PLANGATE_PLANNER_MODEL)"
            )
        return LlmPlanner(
            base_url=config["base_url"],
            model=config["model"],
            api_key=config.get("api_key", ""),
            timeout_seconds=float(config.get("timeout_seconds", 60)),
            max_attempts=int(config.get("max_attempts", 3)),
            retry_base_seconds=float(config.get("retry_base_seconds", 0.5)),
        )
    raise ImproperlyConfigured(
        f"PLANGATE_PLANNER backend must be one of {', '.join(BACKENDS)}, not {name!r}"
    )
