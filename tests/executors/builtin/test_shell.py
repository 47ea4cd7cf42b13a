"""The shell executor runs an allowlisted argv, no shell, in a bare environment, and captures
its output."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from executors import registry
from executors.builtin.shell import OUTPUT_LIMIT_BYTES, ShellExecutor
from executors.protocol import StepOutcome, StepSpec
from tests.executors.procs import alive

COMMANDS = {
    "printf": ["printf"],
    "cat": ["cat"],
    "env": ["env"],
    "where": ["sh", "-c", "pwd; ls -A; touch left-behind"],
    "sh": ["sh", "-c"],
}


@pytest.fixture(autouse=True)
def commands(settings: Any) -> None:
    settings.PLANGATE_SHELL_COMMANDS = COMMANDS
    registry.clear_cache()


def run(command: str, args: list[str] | None = None, **params: Any) -> StepOutcome:
    if args is not None:
        params["args"] = args
    spec = StepSpec(plan_id="p1", step_key="s", task="t", params={"command": command, **params})
    return asyncio.run(ShellExecutor().run(spec))


def test_it_appends_the_args_to_the_argv_without_a_shell_reading_them():
    outcome = run("printf", ["%s|", "a b", "$HOME", "; echo hacked", "*"])
    assert outcome.ok
    assert outcome.result == {"exit_code": 0, "stdout": "a b|$HOME|; echo hacked|*|", "stderr": ""}


def test_it_feeds_stdin_and_captures_stdout_and_stderr():
    outcome = run("sh", ["cat; echo oops >&2"], stdin="hello\nwörld\n")
    assert outcome.result == {"exit_code": 0, "stdout": "hello\nwörld\n", "stderr": "oops\n"}


def test_it_gives_dev_null_as_stdin_when_there_is_none():
    started = time.monotonic()
    outcome = run("cat")
    assert outcome.result == {"exit_code": 0, "stdout": "", "stderr": ""}
    assert time.monotonic() - started < 5


def test_it_passes_only_path_and_lang_in_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:pw@db/plangate")
    outcome = run("env")
    assert sorted(outcome.result["stdout"].splitlines()) == [
        "LANG=C.UTF-8",
        f"PATH={os.environ['PATH']}",
    ]


def test_it_runs_in_a_fresh_temporary_directory_removed_afterwards():
    first = run("where").result["stdout"].splitlines()
    second = run("where").result["stdout"].splitlines()
    # pwd, then ls -A: nothing was there, not even what the first run left.
    assert first[1:] == second[1:] == []
    for directory in (first[0], second[0]):
        assert Path(directory).parent == Path(tempfile.gettempdir()).resolve()
        assert Path(directory).name.startswith("plangate-shell-")
        assert not Path(directory).exists()
    assert first[0] != second[0]


def test_it_parses_stdout_as_json_when_asked():
    outcome = run("printf", ['[1, {"a": "é"}]'], parse_json=True)
    assert outcome.ok
    assert outcome.result == [1, {"a": "é"}]


def test_it_keeps_the_first_mib_of_each_stream_and_notes_the_rest():
    script = "yes 0123456789abcde | head -c 1500000; yes e | head -c 1100000 >&2"
    outcome = run("sh", [script])
    assert outcome.ok
    stdout, stderr = outcome.result["stdout"], outcome.result["stderr"]
    kept, note = stdout[:OUTPUT_LIMIT_BYTES], stdout[OUTPUT_LIMIT_BYTES:]
    assert kept == ("0123456789abcde\n" * 70000)[:OUTPUT_LIMIT_BYTES]
    assert note == f"\n[plangate: {1500000 - OUTPUT_LIMIT_BYTES} more bytes dropped]"
    assert stderr[:OUTPUT_LIMIT_BYTES] == "e\n" * (OUTPUT_LIMIT_BYTES // 2)
    assert stderr.endswith(f"[plangate: {1100000 - OUTPUT_LIMIT_BYTES} more bytes dropped]")


def test_it_replaces_nul_and_undecodable_bytes():
    # A JSON result with NUL cannot be stored in PostgreSQL.
    outcome = run("printf", ["a\\000b\\377c"])
    assert outcome.result["stdout"] == "a\ufffdb\ufffdc"


@pytest.mark.skipif(sys.platform != "linux", reason="tells live processes by /proc")
def test_it_stops_what_the_command_left_running_when_it_exits():
    started = time.monotonic()
    outcome = run("sh", ["sleep 30 & echo $!"])
    # The background sleep kept the stdout pipe open: had it been left to run, the step would
    # have waited for it.
    assert time.monotonic() - started < 5
    assert outcome.ok
    assert not alive(int(outcome.result["stdout"]))


def test_it_gives_its_steps_ten_minutes_by_default():
    assert ShellExecutor.timeout_seconds == 600
