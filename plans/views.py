from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def plan_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("todo")


plan_detail = plan_approve = plan_cancel = step_skip = plan_live = plan_list
