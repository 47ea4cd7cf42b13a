"""The admin's budgets: prices (per team or for all teams, overriding PLANGATE_PRICING), each
attempt's recorded usage and each team's monthly spend (read only: they are a record)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from plans.budgets.prices import price_problems
from plans.models import Price, StepUsage, TeamMonthSpend


class PriceForm(forms.ModelForm):
    class Meta:
        model = Price
        fields = ("team", "model", "input_per_million", "output_per_million", "units")

    def clean_units(self) -> Any:
        units = self.cleaned_data["units"] or {}
        problems = price_problems("units", {"units": units})
        if problems:
            raise forms.ValidationError(
                'Give an object of unit name -> price, e.g. {"searches": 0.01}.'
            )
        return units


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    form = PriceForm
    list_display = ("model", "team", "input_per_million", "output_per_million", "units")
    list_filter = ("team",)
    search_fields = ("model",)


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StepUsage)
class StepUsageAdmin(RecordAdmin):
    list_display = (
        "created_at",
        "team",
        "plan",
        "step",
        "attempt",
        "model",
        "input_tokens",
        "output_tokens",
        "cost",
        "cost_source",
    )
    list_filter = ("cost_source", "month", "team")
    search_fields = ("model", "plan__id")
    list_select_related = ("team", "plan", "step")


@admin.register(TeamMonthSpend)
class TeamMonthSpendAdmin(RecordAdmin):
    list_display = ("month", "team", "spent", "monthly_budget")
    list_filter = ("month",)
    list_select_related = ("team",)

    @admin.display(description="Monthly budget")
    def monthly_budget(self, obj: TeamMonthSpend) -> Any:
        return obj.team.monthly_budget
