"""PLANGATE_GUARDRAILS and PLANGATE_GUARDRAIL_CHECKS are read from the environment and checked at
start-up: anything wrong is an ImproperlyConfigured naming every problem."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from plans.guardrails.config import checks_from_environment, from_environment


def test_it_reads_guardrails_per_executor(monkeypatch) -> None:
    value = {"http": {"output": [{"max_bytes": 100}, {"check": "pii"}], "on_block": "ask"}}
    monkeypatch.setenv("PLANGATE_GUARDRAILS", json.dumps(value))
    assert from_environment({"pii": "m:f"}) == value


def test_it_names_every_problem(monkeypatch) -> None:
    value = {"http": {"input": [{"deny": "("}], "output": [{"check": "pii"}], "on_block": "x"}}
    monkeypatch.setenv("PLANGATE_GUARDRAILS", json.dumps(value))
    with pytest.raises(ImproperlyConfigured) as raised:
        from_environment({})
    message = str(raised.value)
    assert message.startswith("PLANGATE_GUARDRAILS has problems: ")
    assert "http.on_block: must be 'fail' or 'ask'" in message
    assert "http.input[0].deny: not a valid regular expression" in message
    assert "http.output[0].check: unknown check 'pii'; allowed: none" in message


@pytest.mark.parametrize("raw", ["[1]", "{nope", '{"http": []}'])
def test_it_refuses_what_is_not_an_object_of_objects(monkeypatch, raw) -> None:
    monkeypatch.setenv("PLANGATE_GUARDRAILS", raw)
    with pytest.raises(ImproperlyConfigured, match="PLANGATE_GUARDRAILS"):
        from_environment({})


def test_the_check_allowlist_must_map_names_to_paths(monkeypatch) -> None:
    monkeypatch.setenv("PLANGATE_GUARDRAIL_CHECKS", '{"pii": 3}')
    with pytest.raises(ImproperlyConfigured, match="PLANGATE_GUARDRAIL_CHECKS"):
        checks_from_environment()
    monkeypatch.setenv("PLANGATE_GUARDRAIL_CHECKS", '{"pii": "checks:pii"}')
    assert checks_from_environment() == {"pii": "checks:pii"}
