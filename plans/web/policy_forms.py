"""The form of the team settings page's Policy section, and what the section shows: the
version in force as editable JSON, and the past versions."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from plans import selectors as plan_selectors
from plans.models import Team
from plans.policy import selectors

EXAMPLE: dict[str, list[Any]] = {"rules": [], "permissions": []}


class PolicyForm(forms.Form):
    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    document = forms.CharField(widget=forms.Textarea, max_length=200_000)
    comment = forms.CharField(max_length=2000, required=False)

    def clean_document(self) -> Any:
        try:
            return json.loads(self.cleaned_data["document"])
        except ValueError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc}") from None


def policy_context(team: Team, *, form: PolicyForm | None = None, **extra: Any) -> dict[str, Any]:
    """What the Policy section shows: the version in force in its form, and the past ones."""
    versions = list(selectors.policy_versions(team))
    current = versions[0] if versions else None
    if form is None:
        document = current.document if current is not None else EXAMPLE
        form = PolicyForm(
            initial={
                "base_version": current.version if current is not None else 0,
                "document": json.dumps(document, indent=2, ensure_ascii=False),
            }
        )
    return {
        "policy_form": form,
        "policy_current": current,
        "policy_versions": [
            (v, json.dumps(v.document, indent=2, ensure_ascii=False)) for v in versions
        ],
        "policy_problems": [],
        # Who made each version, named as the plan pages name every actor.
        "token_names": plan_selectors.token_names_for_team(team.pk),
        **extra,
    }
