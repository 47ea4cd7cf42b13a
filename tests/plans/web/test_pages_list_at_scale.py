"""The plan list reads a page of plans, not the team's whole history."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plans.models import PlanStep
from tests.factories import submit_plan


@pytest.mark.postgres
def test_the_list_reads_the_newest_plans_from_an_index(team: Any, reviewer: Any) -> None:
    for _ in range(3):
        submit_plan(team)
    with connection.cursor() as cursor:
        # As on a large table: the planner may not read every row to sort them.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    client = Client()
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    listing = next(
        q["sql"] for q in queries if 'FROM "plans_plan"' in q["sql"] and "LIMIT" in q["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + listing)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "plans_plan_team_newest" in plan
    assert "Sort" not in plan.split("Index")[0]


def test_the_list_counts_each_plans_steps(team: Any, reviewer: Any) -> None:
    small = submit_plan(team)
    submit_plan(team)
    PlanStep.objects.filter(plan=small, key="a").update(status="completed")
    client = Client()
    client.force_login(reviewer)
    page = client.get("/").content.decode()
    assert page.count("1/2") == 1
    assert page.count("0/2") == 1
