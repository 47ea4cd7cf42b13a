"""Each PLANGATE_SHELL_COMMANDS entry says which args a plan may append: by default positional
ones only, so a plan cannot slip an option into the operator's command line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from executors.builtin.shell import ShellExecutor
from executors.protocol import FailureClass, StepOutcome, StepSpec

# Prints each argument it is given followed by "|".
PRINT_ARGS = ["sh", "-c", 'printf "%s|" "$@"', "sh"]


@pytest.fixture(autouse=True)
def commands(settings: Any) -> None:
    settings.PLANGATE_SHELL_COMMANDS = {
        "archive": ["tar", "-czf", "out.tar.gz"],
        "positional": {"argv": PRINT_ARGS, "args": "positional"},
        "bare": {"argv": ["date"], "args": "none"},
        "any": {"argv": PRINT_ARGS, "args": "any"},
        "two": {"argv": PRINT_ARGS, "max_args": 2},
    }


def problems(**params: Any) -> list[str]:
    return ShellExecutor().validate_params(params)


def run(command: str, args: list[str]) -> StepOutcome:
    spec = StepSpec(plan_id="p1", step_key="s", task="t", params={"command": command, "args": args})
    return asyncio.run(ShellExecutor().run(spec))


def test_an_argv_list_refuses_options_naming_the_arg_and_the_command():
    assert problems(
        command="archive", args=["notes.txt", "-x", "--checkpoint-action=exec=sh", "-"]
    ) == [
        "args[1] starts with \"-\": command 'archive' takes positional args only, not options",
        "args[2] starts with \"-\": command 'archive' takes positional args only, not options",
        "args[3] starts with \"-\": command 'archive' takes positional args only, not options",
    ]
    assert problems(command="positional", args=["--output=/etc/passwd"]) == [
        "args[0] starts with \"-\": command 'positional' takes positional args only, not options"
    ]


def test_an_argv_list_takes_positional_args_even_with_dashes_inside():
    assert problems(command="archive", args=["notes.txt", "a-b", "x--y", ""]) == []


def test_a_command_refuses_options_at_run_too_without_running(settings, tmp_path: Path):
    marker = tmp_path / "ran"
    settings.PLANGATE_SHELL_COMMANDS = {"touch": {"argv": ["touch"], "args": "any"}}
    # Had it run, touch would have made the file.
    assert problems(command="touch", args=["--", str(marker)]) == []
    # The operator takes "any" back before the step runs.
    settings.PLANGATE_SHELL_COMMANDS = {"touch": ["touch"]}
    outcome = run("touch", ["--", str(marker)])
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == (
        "shell: args[0] starts with \"-\": command 'touch' takes positional args only, not options"
    )
    assert not marker.exists()


def test_none_refuses_any_args():
    assert problems(command="bare", args=["today"]) == [
        "command 'bare' takes no args; args holds 1"
    ]
    assert problems(command="bare", args=["-u", "x"]) == [
        "command 'bare' takes no args; args holds 2"
    ]
    assert problems(command="bare", args=[]) == []
    assert problems(command="bare") == []


def test_any_passes_options_to_the_command():
    assert problems(command="any", args=["-x", "--output=out.txt"]) == []
    outcome = run("any", ["-x", "--output=out.txt", "plain"])
    assert outcome.ok
    assert outcome.result["stdout"] == "-x|--output=out.txt|plain|"


def test_positional_args_reach_the_command_of_an_object_entry():
    outcome = run("positional", ["a", "b c"])
    assert outcome.ok
    assert outcome.result["stdout"] == "a|b c|"


def test_max_args_sets_how_many_args_a_command_takes(settings):
    assert problems(command="two", args=["a", "b"]) == []
    assert problems(command="two", args=["a", "b", "c"]) == ["args may hold at most 2 items, not 3"]
    assert problems(command="positional", args=["a"] * 100) == []
    settings.PLANGATE_SHELL_COMMANDS = {"many": {"argv": PRINT_ARGS, "max_args": 500}}
    assert problems(command="many", args=["a"] * 500) == []


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("make-report", 'its entry must be an argv list or an object with "argv", not str'),
        (None, 'its entry must be an argv list or an object with "argv", not NoneType'),
        ([], "argv is empty"),
        ([""], "argv[0], the program, is empty"),
        (["make-report", 1], "argv[1] must be a string, not int"),
        (["make-report", "a\x00b"], "argv[1] holds a NUL character"),
        ({"args": "any"}, "argv is required"),
        ({"argv": "make-report"}, "argv must be a list of strings, not str"),
        (
            {"argv": ["make-report"], "args": "all"},
            'args must be "none", "positional" or "any", not \'all\'',
        ),
        (
            {"argv": ["make-report"], "max_args": -1},
            "max_args must be a whole number, 0 or more, not -1",
        ),
        (
            {"argv": ["make-report"], "max_args": True},
            "max_args must be a whole number, 0 or more, not True",
        ),
        (
            {"argv": ["make-report"], "max_arg": 5},
            "unknown key 'max_arg'; allowed: argv, args, max_args",
        ),
        (
            {"argv": [], "args": None, "max_args": "9"},
            'argv is empty; args must be "none", "positional" or "any", not None; '
            "max_args must be a whole number, 0 or more, not '9'",
        ),
    ],
)
def test_a_misconfigured_entry_is_reported_as_such(settings, entry, why):
    settings.PLANGATE_SHELL_COMMANDS = {"report": entry}
    # Only the entry is reported: what it would allow is unknown.
    assert problems(command="report", args=["-x"]) == [f"command 'report' is misconfigured: {why}"]


def test_a_misconfigured_entry_fails_its_step_as_bad_input(settings):
    settings.PLANGATE_SHELL_COMMANDS = {"report": {"argv": ["true"], "args": "some"}}
    outcome = run("report", [])
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == (
        "shell: command 'report' is misconfigured: "
        'args must be "none", "positional" or "any", not \'some\''
    )
