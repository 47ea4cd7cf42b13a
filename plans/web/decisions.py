"""The team admins' decisions page: what waits now and for how long, how long the team takes to
decide week by week, its timeouts and escalations, and the CSV export of the same period.

Only the team's admins see it: another member gets a 403, anyone else a 404 (as for a plan of
another team, whether the team exists is not told).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from plans.audit import export
from plans.audit.selectors import (
    audit_rows,
    role_in_team,
    waiting_now,
    weekly_figures,
)
from plans.inbox.selectors import waited_label
from plans.models import Role, Team

TEMPLATE = "plans/team_decisions.html"
# The period shown when none is asked for: this week and the seven before it.
DEFAULT_WEEKS = 8
# The longest period one page reads.
MAX_DAYS = 366


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(
        required=False, label="To (inclusive)", widget=forms.DateInput({"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError("The period ends before it starts.")
        if since and until and (until - since).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        return data


def team_for_admin(request: HttpRequest, team_id: int) -> Team:
    """The team, if the user is one of its admins. Raises Http404 unless they are a member, and
    PermissionDenied for a member in another role."""
    role = role_in_team(request.user, team_id)
    if role is None:
        raise Http404("No such team.")
    if role != Role.ADMIN:
        raise PermissionDenied("Only the team's admins see its decisions (needs role admin).")
    return Team.objects.get(pk=team_id)


def _period(form: PeriodForm) -> tuple[date, date]:
    """The first and last day shown: the form's, else the default weeks up to today."""
    today = timezone.localdate()
    default_since = today - timedelta(days=today.weekday(), weeks=DEFAULT_WEEKS - 1)
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until") or today
    since = data.get("since") or min(default_since, until)
    if not data.get("since") and (until - since).days >= MAX_DAYS:
        since = until - timedelta(days=MAX_DAYS - 1)
    return since, until


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    # From the first day's start to the end of the last day, in the site's time zone.
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def duration_label(value: timedelta | None) -> str:
    """ "3 h 20 min", "45 min", "2 d 4 h", "40 s"; a dash for nothing."""
    if value is None:
        return "\u2013"  # an en dash
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@never_cache
@login_required
@require_GET
def team_decisions(request: HttpRequest, team_id: int) -> HttpResponse:
    team = team_for_admin(request, team_id)
    form = PeriodForm(request.GET or None)
    since, until = _period(form)
    start, end = _bounds(since, until)
    now = timezone.now()
    weeks = weekly_figures(team, since=start, until=end)
    context = {
        "team": team,
        "form": form,
        "since": since,
        "until": until,
        "waiting": [(item, waited_label(item.waited(now))) for item in waiting_now(team)],
        "weeks": [
            (week, duration_label(week.median), duration_label(week.p90))
            for week in reversed(weeks)
        ],
        "totals": {
            "decided": sum(w.decided for w in weeks),
            "timeouts": sum(w.timeouts for w in weeks),
            "escalations": sum(w.escalations for w in weeks),
        },
    }
    return render(request, TEMPLATE, context)


@never_cache
@login_required
@require_GET
def team_decisions_csv(request: HttpRequest, team_id: int) -> StreamingHttpResponse:
    """Every decision of the period as CSV, the API export's rows, for a logged-in admin."""
    team = team_for_admin(request, team_id)
    since, until = _period(PeriodForm(request.GET or None))
    start, end = _bounds(since, until)
    rows = audit_rows(team, since=start, until=end)
    name = export.filename(team.name, "csv", since=start, until=end - timedelta(days=1))
    return export.streaming_export(rows, fmt="csv", name=name)
