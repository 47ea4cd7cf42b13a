"""Forms of the team settings page (plans/web/team.py)."""

from __future__ import annotations

from django import forms

from plans.models import Role, Scope


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AddMemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REVIEWER)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.SUBMIT, Scope.READ],
        error_messages={"required": "Choose at least one scope."},
    )
    # The role the team's policy permissions match its plans by (plans/policy/).
    agent_role = forms.CharField(max_length=50, required=False)


class RulesForm(forms.Form):
    separate_duties = forms.BooleanField(required=False)
    required_approvals = forms.IntegerField(min_value=1, max_value=100)
    max_required_approvals = forms.IntegerField(min_value=1, max_value=100)
