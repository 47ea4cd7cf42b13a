"""The Django admin of teams' policy versions: past versions read-only, a new version added
through the same service and checks as the API and the settings page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from plans.models import PolicyVersion, Team
from plans.policy import services
from plans.policy.evaluation import policy_in_force
from plans.services import Actor


class PolicyVersionForm(forms.ModelForm):
    """A new version: the team, the version it replaces, the document, why."""

    base_version = forms.IntegerField(
        min_value=0, help_text="The version in force you started from (0: the team has none)."
    )
    document = forms.JSONField(
        initial=dict,
        help_text='{"rules": [...], "permissions": [...]}; see the README\'s Policy section.',
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100}),
    )

    class Meta:
        model = PolicyVersion
        fields = ("team", "base_version", "document", "comment")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team: Team | None = data.get("team")
        if team is None or "document" not in data or "base_version" not in data:
            return data
        current = policy_in_force(team)
        version = current.version if current is not None else 0
        if data["base_version"] != version:
            self.add_error("base_version", f"{team.name}'s policy is at version {version} now")
        problems = services.policy_problems(team, data["document"])
        if problems:
            self.add_error("document", [f"{p.path or '(the document)'}: {p.msg}" for p in problems])
        return data


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    form = PolicyVersionForm
    list_display = ("team", "version", "actor", "created_at", "comment")
    list_filter = ("team",)
    search_fields = ("team__name", "comment", "actor")
    ordering = ("team", "-version")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("team", "base_version", "document", "comment")
        return ("team", "version", "document", "actor", "comment", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("team", "version", "document", "actor", "comment", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Past versions are a record: shown, never edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form: Any, change: bool) -> None:
        new = services.policy_change(
            team=form.cleaned_data["team"],
            actor=Actor.for_admin_site(request.user),
            base_version=form.cleaned_data["base_version"],
            document=form.cleaned_data["document"],
            comment=form.cleaned_data.get("comment", ""),
        )
        obj.pk, obj.version, obj.team_id = new.pk, new.version, new.team_id
