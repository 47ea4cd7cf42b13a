"""Every page sends a Content-Security-Policy that allows scripts and styles only from Plangate's
own static files, and carries nothing inline that the policy would block."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.factories import UserFactory, submit_plan

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)


def policy(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def test_it_sends_a_content_security_policy_the_pages_work_under(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    pages = [(None, "/accounts/login/"), (reviewer, "/"), (reviewer, f"/plans/{plan.pk}/")]
    pages += [(admin, "/admin/"), (admin, "/admin/plans/apitoken/add/")]
    pages += [(admin, f"/admin/plans/plan/{plan.pk}/change/")]

    for user, url in pages:
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        csp = policy(response)
        assert csp.get("default-src") == ["'self'"], url
        assert csp.get("script-src") == ["'self'"], url
        assert csp.get("style-src") == ["'self'"], url
        assert csp.get("object-src") == ["'none'"], url
        assert csp.get("frame-ancestors") == ["'none'"], url
        body = response.content.decode()
        assert INLINE_SCRIPT.findall(body) == [], url
        assert INLINE_STYLE.findall(body) == [], url
