"""The shell executor refuses, at submission, every problem with a step's params."""

from __future__ import annotations

from typing import Any

import pytest

from executors.builtin.shell import ShellExecutor


@pytest.fixture(autouse=True)
def commands(settings: Any) -> None:
    settings.PLANGATE_SHELL_COMMANDS = {"report": ["make-report"], "backup": ["backup", "--all"]}


def problems(**params: Any) -> list[str]:
    return ShellExecutor().validate_params(params)


def test_it_accepts_a_listed_command_with_args_stdin_and_parse_json():
    assert (
        problems(command="report", args=["since", "2025-01-01"], stdin="x", parse_json=True) == []
    )
    assert problems(command="backup") == []
    assert problems(command="report", args=[""] * 100) == []


def test_it_refuses_an_unknown_command_naming_the_allowed_ones():
    assert problems(command="rm") == ["command 'rm' is not allowed; allowed: backup, report"]


def test_it_refuses_a_command_line_in_place_of_a_name():
    assert problems(command="make-report --all") == [
        "command 'make-report --all' is not allowed; allowed: backup, report"
    ]
    assert problems(command=["make-report"]) == ["command must be a name (a string), not list"]


def test_it_refuses_a_missing_command(settings):
    assert problems() == ["command is required; allowed: backup, report"]
    settings.PLANGATE_SHELL_COMMANDS = {}
    assert problems(command="report") == ["command 'report' is not allowed; allowed: none"]


def test_it_lists_every_problem():
    assert problems(
        command="report", args=["ok", 5, "nul\x00", None], stdin=["x"], parse_json="yes", arg="x"
    ) == [
        "args[1] must be a string, not int",
        "args[2] holds a NUL character",
        "args[3] must be a string, not NoneType",
        "stdin must be a string, not list",
        "parse_json must be true or false, not str",
        "unknown param 'arg'; allowed: command, args, stdin, parse_json",
    ]


def test_it_refuses_text_no_process_can_be_given():
    assert problems(command="report", args=["ok", "\ud800"], stdin="\udfff") == [
        "args[1] is not valid text (it holds a lone surrogate)",
        "stdin is not valid text (it holds a lone surrogate)",
    ]


def test_it_refuses_args_that_are_not_a_list():
    assert problems(command="report", args="--all") == ["args must be a list of strings, not str"]


def test_it_refuses_more_than_a_hundred_args():
    assert problems(command="report", args=["x"] * 101) == [
        "args may hold at most 100 items, not 101"
    ]
