"""Forms of the reviewer pages: the plan-list filter and the review actions.

The templates write the fields out by hand (ids per step, hx-preserve); these forms parse them.
"""

from __future__ import annotations

from django import forms

from plans.states import PlanStatus

REASON_MAX_LENGTH = 2000


class PlanFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *PlanStatus.choices], required=False)
    user_id = forms.CharField(required=False, max_length=200, label="User id")
    topic_id = forms.CharField(required=False, max_length=200, label="Topic id")

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters; a bad value is reported on the form and not applied."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in ("status", "user_id", "topic_id") if data.get(name)}


class ApproveForm(forms.Form):
    # The version the reviewer saw; approving an older one than the plan's is refused.
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea,
    )


class SkipForm(forms.Form):
    # The step's key travels in the body, not the URL: keys may hold "/" or be "..".
    key = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={"required": "Give a reason for skipping the step."},
    )


class GateForm(forms.Form):
    # The step's key travels in the body, not the URL: keys may hold "/" or be "..".
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    # The plan version the reviewer saw; a decision on an older one is refused.
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # JSON, parsed by the view; only the "Edit params and approve" form sends it.
    params = forms.CharField(required=False, widget=forms.Textarea, strip=False)
