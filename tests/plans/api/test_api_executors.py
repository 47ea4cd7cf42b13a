"""GET /executors and a plan's "executors": the circuit breakers an agent can check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from plans.models import ExecutorCircuit
from tests.conftest import ApiClient
from tests.factories import step, submit_plan


def test_it_lists_every_registered_executor_closed_until_one_fails(api: ApiClient) -> None:
    response = api.get("/executors")

    assert response.status_code == 200
    body = response.json()
    assert [e["name"] for e in body] == ["combine", "echo", "http", "python", "shell"]
    assert body[0] == {
        "name": "combine",
        "state": "closed",
        "consecutive_failures": 0,
        "open_until": None,
        "last_error": "",
    }


def test_it_shows_an_open_circuit_with_its_cool_down_and_last_error(
    api: ApiClient, team: Any
) -> None:
    until = timezone.now() + timedelta(seconds=30)
    ExecutorCircuit.objects.create(
        team=team,
        executor="http",
        state="open",
        consecutive_failures=5,
        open_until=until,
        last_error="http: 503 from https://api.example.com/run",
    )

    http = {e["name"]: e for e in api.get("/executors").json()}["http"]

    assert http["state"] == "open"
    assert http["consecutive_failures"] == 5
    assert http["last_error"] == "http: 503 from https://api.example.com/run"
    assert http["open_until"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))


def test_it_calls_an_open_circuit_half_open_once_its_cool_down_is_over(
    api: ApiClient, team: Any
) -> None:
    ExecutorCircuit.objects.create(
        team=team,
        executor="shell",
        state="open",
        consecutive_failures=5,
        open_until=timezone.now() - timedelta(seconds=1),
        last_error="boom",
    )

    shell = {e["name"]: e for e in api.get("/executors").json()}["shell"]

    assert shell["state"] == "half_open"


def test_it_needs_a_token(client: Any, db: Any) -> None:
    assert client.get("/api/v1/executors").status_code == 401


def test_a_plan_shows_the_circuits_of_the_executors_its_steps_use(
    api: ApiClient, team: Any
) -> None:
    plan = submit_plan(
        team,
        [
            step("a"),
            step("b", executor="python", params={"function": "word_count"}),
            step("c", "a", "b"),
        ],
    )
    ExecutorCircuit.objects.create(
        team=team,
        executor="python",
        state="open",
        consecutive_failures=3,
        open_until=timezone.now() + timedelta(seconds=30),
        last_error="ImportError: no module",
    )
    ExecutorCircuit.objects.create(team=team, executor="http", state="open", consecutive_failures=9)

    executors = api.get(f"/plans/{plan.pk}").json()["executors"]

    assert [(e["name"], e["state"], e["consecutive_failures"]) for e in executors] == [
        ("echo", "closed", 0),
        ("python", "open", 3),
    ]
    assert executors[1]["last_error"] == "ImportError: no module"


def test_a_team_sees_only_its_own_circuits(api: ApiClient, other_api: ApiClient, team: Any) -> None:
    ExecutorCircuit.objects.create(
        team=team,
        executor="http",
        state="open",
        consecutive_failures=5,
        open_until=timezone.now() + timedelta(seconds=30),
        last_error="POST https://acme.internal/run?key=secret answered 500",
    )

    theirs = {e["name"]: e for e in other_api.get("/executors").json()}["http"]
    ours = {e["name"]: e for e in api.get("/executors").json()}["http"]

    assert (theirs["state"], theirs["last_error"]) == ("closed", "")
    assert (ours["state"], ours["last_error"]) == (
        "open",
        "POST https://acme.internal/run?key=secret answered 500",
    )
