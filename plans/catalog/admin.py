"""The admin's actions: a team's own catalog entries, checked as PLANGATE_ACTIONS is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from plans.catalog.selectors import check_executor
from plans.catalog.spec import action_problems
from plans.models import Action

FIELDS = (
    "team",
    "name",
    "description",
    "executor",
    "input_schema",
    "output_schema",
    "params",
    "timeout_seconds",
    "max_attempts",
    "guardrails",
    "estimated_cost",
)


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        definition = {
            name: cleaned.get(name)
            for name in FIELDS
            if name != "team" and cleaned.get(name) not in (None, "")
        }
        if (cost := cleaned.get("estimated_cost")) is not None:
            definition["estimated_cost"] = float(cost)
        definition.setdefault("input_schema", cleaned.get("input_schema"))
        for problem in action_problems(definition, (), check_executor=check_executor):
            field = str(problem.loc[0]) if problem.loc else None
            self.add_error(field if field in self.fields else None, problem.msg)
        return cleaned


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    form = ActionForm
    list_display = ("name", "team", "executor", "description")
    list_filter = ("team", "executor")
    search_fields = ("name", "description")
