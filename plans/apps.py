from __future__ import annotations

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        # A bad PLANGATE_RECOVERY stops start-up rather than the first failing step.
        from plans.recovery.checks import check_setting

        check_setting()
        # A bad PLANGATE_ACTIONS too (plans/catalog/).
        from plans.catalog.checks import check_setting as check_actions

        check_actions()
