"""settings.PLANGATE_RECOVERY, checked in full when the apps are ready."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from plans.recovery.recipes import setting_problems
from plans.services import check_executor


def check_setting() -> None:
    """Raises ImproperlyConfigured naming every problem with settings.PLANGATE_RECOVERY (an
    unknown executor or failure class, a bad recipe, a fallback's params its executor
    refuses)."""
    found = setting_problems(
        getattr(settings, "PLANGATE_RECOVERY", {}), check_executor=check_executor
    )
    if found:
        raise ImproperlyConfigured(
            "PLANGATE_RECOVERY is not valid: " + "; ".join(f"{p.path}: {p.msg}" for p in found)
        )
