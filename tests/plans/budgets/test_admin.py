"""The admin: a price set there prices usage; usage rows and monthly spend are listed, read
only."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from plans.models import Price, StepUsage
from tests.factories import UserFactory, step, submit_plan
from tests.plans.budgets.support import run, start


def admin_browser() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_price_added_in_the_admin_prices_usage(team) -> None:
    client = admin_browser()
    answer = client.post(
        "/admin/plans/price/add/",
        {
            "team": team.pk,
            "model": "house-model",
            "input_per_million": "4",
            "output_per_million": "0",
            "units": '{"searches": 0.5}',
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Price.objects.get(model="house-model").team == team
    refused = client.post(
        "/admin/plans/price/add/",
        {"model": "bad", "input_per_million": "1", "output_per_million": "1", "units": "[1]"},
    )
    assert refused.status_code == 200
    assert not Price.objects.filter(model="bad").exists()

    plan = start(submit_plan(team, [step("a")]))
    run(plan, "a", model="house-model", input_tokens=250_000, units={"searches": 2})
    assert StepUsage.objects.get(plan=plan).cost == Decimal("2.00")

    usage_page = client.get("/admin/plans/stepusage/").content.decode()
    assert "house-model" in usage_page
    assert "/admin/plans/stepusage/add/" not in usage_page
    spend_page = client.get("/admin/plans/teammonthspend/").content.decode()
    assert "2.0000" in spend_page
