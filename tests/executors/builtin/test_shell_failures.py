"""How the shell executor classifies a command that fails."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from executors.builtin.shell import ShellExecutor
from executors.protocol import FailureClass, StepOutcome, StepSpec

LINES_THEN_EXIT = 'for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done; exit "$1"'


@pytest.fixture(autouse=True)
def commands(settings: Any) -> None:
    settings.PLANGATE_SHELL_COMMANDS = {
        "fail": ["sh", "-c", LINES_THEN_EXIT, "sh"],
        "sh": ["sh", "-c"],
        "missing": ["/nonexistent/plangate-tool", "--flag"],
    }


def run(command: str, args: list[str], timeout: float | None = None, **params: Any):
    spec = StepSpec(
        plan_id="p1",
        step_key="s",
        task="t",
        params={"command": command, "args": args, **params},
        timeout=timeout,
    )
    return asyncio.run(ShellExecutor().run(spec))


def tail_of_stderr() -> str:
    return "line 3\nline 4\nline 5\nline 6\nline 7"


@pytest.mark.parametrize("code", [1, 2, 69, 70, 71, 74, 76, 77, 78, 127, 255])
def test_it_fails_as_executor_error_for_a_non_zero_exit(code):
    outcome = run("fail", [str(code)])
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.retryable
    assert outcome.error == f"shell fail: exited with {code}: {tail_of_stderr()}"


def test_it_fails_as_executor_error_for_ex_tempfail_so_it_is_retried():
    outcome: StepOutcome = run("fail", ["75"])
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.retryable
    assert outcome.error.startswith("shell fail: exited with 75: line 3")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (64, "EX_USAGE"),
        (65, "EX_DATAERR"),
        (66, "EX_NOINPUT"),
        (67, "EX_NOUSER"),
        (68, "EX_NOHOST"),
    ],
)
def test_it_fails_as_bad_input_for_the_sysexits_that_say_so(code, name):
    outcome = run("fail", [str(code)])
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert not outcome.retryable
    assert outcome.error == f"shell fail: exited with {code} ({name}): {tail_of_stderr()}"


def test_it_says_when_nothing_was_written_to_stderr():
    outcome = run("sh", ["echo on stdout only; exit 3"])
    assert outcome.error == "shell sh: exited with 3: (nothing on stderr)"


def test_it_fails_as_executor_error_when_the_command_is_killed_by_a_signal():
    outcome = run("sh", ["echo dying >&2; kill -KILL $$"])
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error == "shell sh: was killed by SIGKILL: dying"


def test_it_fails_as_executor_error_when_the_program_cannot_be_started():
    outcome = run("missing", [])
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error.startswith("shell missing: could not start '/nonexistent/plangate-tool'")


def test_it_fails_as_executor_error_for_stdout_that_is_not_json_when_parsing():
    outcome = run("sh", ["echo not json"], parse_json=True)
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error.startswith("shell sh: stdout is not JSON: ")


def test_it_fails_as_executor_error_for_json_cut_at_the_output_limit():
    # A valid JSON string of 2 MB, of which only the first MiB is kept.
    outcome = run(
        "sh", ["printf '\"'; yes a | tr -d '\\n' | head -c 2000000; printf '\"'"], parse_json=True
    )
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error == "shell sh: stdout is not JSON: it was cut at 1048576 bytes"


def test_it_fails_as_timeout_when_the_steps_timeout_strikes_first():
    started = time.monotonic()
    outcome = run("sh", ["sleep 30"], timeout=0.3)
    assert time.monotonic() - started < 3
    assert outcome.failure_class == FailureClass.TIMEOUT
    assert outcome.retryable
    assert outcome.error == "shell sh: timed out after 0.3s"


def test_it_fails_as_bad_input_without_running_a_command_no_longer_allowed(settings, tmp_path):
    marker = tmp_path / "ran"
    params = {"command": "sh", "args": [f"touch {marker}"]}
    assert ShellExecutor().validate_params(params) == []
    settings.PLANGATE_SHELL_COMMANDS = {"fail": ["false"]}
    outcome = asyncio.run(
        ShellExecutor().run(StepSpec(plan_id="p1", step_key="s", task="t", params=params))
    )
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == "shell: command 'sh' is not allowed; allowed: fail"
    assert not marker.exists()
