"""settings.PLANGATE_ACTIONS, checked in full when the apps are ready."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from plans.catalog.selectors import setting_problems


def check_setting() -> None:
    """Raises ImproperlyConfigured naming every problem with settings.PLANGATE_ACTIONS."""
    found = setting_problems()
    if found:
        raise ImproperlyConfigured(
            "PLANGATE_ACTIONS is not valid: " + "; ".join(f"{p.path}: {p.msg}" for p in found)
        )
