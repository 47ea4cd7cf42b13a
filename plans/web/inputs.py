"""Plan inputs on the plan page: a form built from the JSON Schemas of the inputs the plan
misses, that supplies them as a new revision (plans/catalog/services.py). Thin: parse the form,
call one service, render the page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from plans import services
from plans.access.rules import Action
from plans.bindings.flow import MissingInput
from plans.catalog.selectors import plan_missing_inputs
from plans.catalog.services import plan_inputs_supply
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid
from plans.web.access import may, plan_or_404
from plans.web.views import STALE_MESSAGE, HtmxHttpRequest, action_done, as_sentence, plan_page

SCALARS = ("string", "number", "integer", "boolean")


def _scalar(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind if kind in SCALARS else ""


def _field(missing: MissingInput) -> forms.Field:
    """A form field for one input: a select for an enum, a checkbox for a boolean, a number or
    text box for a number or string, one value per line for an array of these, JSON else."""
    schema = missing.schema
    help_text = str(schema.get("description", ""))
    attrs = {"hx-preserve": "true", "autocomplete": "off"}
    kind = schema.get("type")
    common: dict[str, Any] = {"label": missing.name, "help_text": help_text}
    if "enum" in schema and isinstance(schema["enum"], list):
        choices = [("", "Choose…")] + [(json.dumps(v), str(v)) for v in schema["enum"]]
        return forms.ChoiceField(choices=choices, widget=forms.Select(attrs=attrs), **common)
    if kind == "boolean":
        return forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs=attrs), **common)
    if kind == "integer":
        return forms.IntegerField(widget=forms.NumberInput(attrs=attrs), **common)
    if kind == "number":
        return forms.FloatField(widget=forms.NumberInput(attrs={**attrs, "step": "any"}), **common)
    if kind == "string":
        return forms.CharField(strip=False, widget=forms.TextInput(attrs=attrs), **common)
    if kind == "array" and _scalar(schema.get("items")):
        common["help_text"] = " ".join(filter(None, [help_text, "One value per line."]))
        return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 3}), **common)
    common["help_text"] = " ".join(filter(None, [help_text, "A JSON value."]))
    return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 3}), **common)


def _line(kind: str, text: str) -> Any:
    if kind == "integer":
        return int(text)
    if kind == "number":
        # A whole number stays one: 120, not 120.0.
        try:
            return int(text)
        except ValueError:
            return float(text)
    if kind == "boolean":
        if text.lower() not in {"true", "false"}:
            raise ValueError(text)
        return text.lower() == "true"
    return text


class InputsForm(forms.Form):
    """One field per missing input, keyed by position ("input_0"...): a name is the plan's
    text, not a safe field name."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, missing: Sequence[MissingInput], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.missing = list(missing)
        for i, item in enumerate(self.missing):
            self.fields[f"input_{i}"] = _field(item)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for i, item in enumerate(self.missing):
            name = f"input_{i}"
            if name not in cleaned:
                continue
            raw, schema = cleaned[name], item.schema
            try:
                cleaned[name] = self._value(schema, raw)
            except ValueError as error:
                self.add_error(name, str(error))
        return cleaned

    @staticmethod
    def _value(schema: dict[str, Any], raw: Any) -> Any:
        if "enum" in schema and isinstance(schema["enum"], list):
            return json.loads(raw)
        kind = schema.get("type")
        if kind in SCALARS:
            return raw
        if kind == "array" and (item := _scalar(schema.get("items"))):
            values = []
            for number, line in enumerate(str(raw).splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    values.append(_line(item, line.strip()))
                except ValueError:
                    raise ValueError(f"line {number} is not a {item}: {line.strip()!r}") from None
            return values
        try:
            return json.loads(raw)
        except ValueError as error:
            raise ValueError(f"not JSON: {error}") from None

    def values(self) -> dict[str, Any]:
        return {m.name: self.cleaned_data[f"input_{i}"] for i, m in enumerate(self.missing)}

    def show(self, problems: PlanInvalid) -> None:
        """Each problem of the service against the field of its input."""
        index = {m.name: i for i, m in enumerate(self.missing)}
        for problem in problems.problems:
            name = problem.loc[1] if len(problem.loc) > 1 else None
            where = f"input_{index[name]}" if name in index else None
            inside = "".join(f"[{p}]" for p in problem.loc[2:])
            self.add_error(where, f"{inside} {problem.msg}".strip())


def inputs_form(plan: Any, missing: Sequence[MissingInput]) -> InputsForm:
    return InputsForm(initial={"version": plan.version}, missing=missing)


@login_required
@require_POST
@may(Action.REVISE)
def plan_inputs(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = InputsForm(request.POST, missing=plan_missing_inputs(plan))
    if not form.is_valid():
        return plan_page(request, plan_id, status=422, extra={"inputs_form": form})
    seen = form.cleaned_data["version"]
    try:
        revision = plan_inputs_supply(
            plan=plan,
            actor=services.Actor.for_user(request.user),
            version=seen,
            values=form.values(),
        )
    except PlanInvalid as exc:
        form.show(exc)
        return plan_page(request, plan_id, status=422, extra={"inputs_form": form})
    except StaleVersion as exc:
        error = STALE_MESSAGE.format(seen=seen, current=exc.current_version)
        return plan_page(request, plan_id, status=409, action_error=error)
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    return action_done(
        request, plan_id, f"Inputs supplied: version {revision.version} is ready for review."
    )
