"""Forms of the plan page's discussion: a comment, and a request for changes.

The templates write the fields out by hand (per-step fields, hx-preserve); these forms parse them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from plans.discussion.services import COMMENT_MAX_LENGTH

# A request's comment on a step is posted as "step:<key>": keys may hold anything.
STEP_FIELD_PREFIX = "step:"


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={"required": "Write a comment."},
    )
    # Blank: the plan as a whole.
    step_key = forms.CharField(required=False, max_length=200)


class RequestChangesForm(forms.Form):
    # The version the reviewer saw; a request about an older one is refused.
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={"required": "Say what should change."},
    )

    def __init__(
        self, data: QueryDict | None = None, *, step_keys: list[str], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.step_keys = step_keys
        # Every step of the page, with what was typed for it: a refused form shows it again.
        self.step_entries: list[tuple[str, str]] = [
            (key, str(data.get(f"{STEP_FIELD_PREFIX}{key}", "")) if data is not None else "")
            for key in step_keys
        ]

    def step_comments(self) -> dict[str, str]:
        """The steps' comments that say something (the form has a field for every step)."""
        return {key: text for key, text in self.step_entries if text.strip()}
