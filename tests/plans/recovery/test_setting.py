"""settings.PLANGATE_RECOVERY is checked when the apps start, naming every problem."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from plans.recovery.checks import check_setting
from tests.processes import ROOT


def test_check_setting__accepts_good_recipes(settings) -> None:
    settings.PLANGATE_RECOVERY = {
        "http": {
            "rate_limited": {"recipe": "fallback", "executor": "echo", "params": {"a": 1}},
            "context_overflow": {"recipe": "adjust", "patch": {"max_tokens": 100}},
            "*": {"recipe": "retry", "max_attempts": 4},
        }
    }
    check_setting()


def test_check_setting__names_every_problem(settings) -> None:
    settings.PLANGATE_RECOVERY = {
        "nope": {"timeout": {"recipe": "ask"}},
        "http": {
            "rate_limited": {"recipe": "fallback", "executor": "python", "params": {}},
            "guardrail": {"recipe": "retry"},
        },
    }
    with pytest.raises(ImproperlyConfigured) as raised:
        check_setting()
    message = str(raised.value)
    assert message.startswith("PLANGATE_RECOVERY is not valid: ")
    assert "PLANGATE_RECOVERY.nope: unknown executor 'nope'" in message
    assert "PLANGATE_RECOVERY.http.rate_limited.params: " in message
    assert "PLANGATE_RECOVERY.http.guardrail: not a failure class" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{not json", "PLANGATE_RECOVERY is not JSON"),
        ('{"echo": {"timeout": {"recipe": "wait"}}}', "PLANGATE_RECOVERY.echo.timeout.recipe"),
    ],
)
def test_start_up_stops_on_a_bad_setting(value: str, expected: str) -> None:
    env = {
        **os.environ,
        "PLANGATE_RECOVERY": value,
        "DJANGO_SETTINGS_MODULE": "orchestration.settings",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert expected in done.stderr
