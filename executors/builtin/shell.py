"""The `shell` executor: runs a command an operator listed, by name, and captures its output.

A plan never gives a command line. settings.PLANGATE_SHELL_COMMANDS maps a name to an argv and
says which arguments a plan may append to it: by default positional ones only, so a plan cannot
slip in an option (`--output=/etc/...`). No shell parses anything: the argv is executed as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from executors.protocol import FailureClass, StepOutcome, StepSpec

PARAMS = ("command", "args", "stdin", "parse_json")
# What a PLANGATE_SHELL_COMMANDS object may hold, and what its "args" may say.
COMMAND_KEYS = ("argv", "args", "max_args")
ARGS_POLICIES = ("none", "positional", "any")
# A command's max_args unless its entry sets one.
MAX_ARGS = 100
# Each of stdout and stderr keeps this many bytes; the rest is read and dropped, with a note.
OUTPUT_LIMIT_BYTES = 1024 * 1024
# How long a stopped command's process group has between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 1.0
# How many lines (and characters) of stderr a failure message quotes.
STDERR_TAIL_LINES = 5
STDERR_TAIL_CHARS = 500

# sysexits.h codes that say the command was given something unusable: a retry would not help.
# The other codes from 64 to 78 (EX_UNAVAILABLE, EX_SOFTWARE, EX_OSERR, EX_TEMPFAIL, ...) say
# the command or what it needs is unwell, which a retry may fix.
BAD_INPUT_EXITS = {
    64: "EX_USAGE",
    65: "EX_DATAERR",
    66: "EX_NOINPUT",
    67: "EX_NOUSER",
    68: "EX_NOHOST",
}

CUT_SHORT_NOTE = "output cut short: a process that left the command's group held its pipes"
_POLL_SECONDS = 0.02


class ShellExecutor:
    """Runs the command named by params.command and succeeds with its exit code and output.

    Params: {"command": <a name in settings.PLANGATE_SHELL_COMMANDS>, "args": [str, ...]
    (optional, appended to the configured argv as the command allows), "stdin": str (optional,
    else /dev/null), "parse_json": bool (optional)}. The result is {"exit_code": 0, "stdout": str,
    "stderr": str}; with parse_json it is the JSON value stdout holds instead.

    A PLANGATE_SHELL_COMMANDS entry is either the argv (a list of strings), taking at most 100
    positional args (none starting with "-"), or {"argv": [...], "args": "none" | "positional" |
    "any", "max_args": n}: "args" defaults to "positional" and max_args to 100; "any" lets a plan
    pass options too.

    The command runs without a shell, in its own session and process group, in a fresh temporary
    directory that is removed afterwards, with only PATH (the worker's) and LANG=C.UTF-8 in its
    environment. stdout and stderr keep their first MiB each (undecodable bytes and NUL become
    U+FFFD). A step leaves no process behind: when the command exits, whatever it started in its
    process group is stopped; when the step is cancelled (the plan was cancelled or the worker's
    timeout struck) the whole group gets SIGTERM, then SIGKILL after a second's grace.

    `run` is `async def`: the worker awaits it on its event loop and cancels it to stop it.

    Failure classes:
    - bad_input: params no longer valid (the allowlist is read again at run), or the command
      exited with a sysexits code for bad input (64 EX_USAGE to 68 EX_NOHOST). Not retried.
    - executor_error: any other non-zero exit (75 EX_TEMPFAIL included), death by a signal, a
      command that cannot be started, or, with parse_json, a stdout that is not JSON. The
      message quotes the last lines of stderr. Retried.
    - timeout: the step's own timeout (`spec.timeout`) struck first. Retried.
    """

    # Commands may do real work (builds, exports); the worker's default is shorter.
    timeout_seconds = 600.0

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """One message per problem: the command (missing, not a name, not listed, its entry
        misconfigured), args (not a list, more than the command allows, an item not a string or
        holding NUL, any item for a command taking none, an option for a command taking
        positional args only), stdin, parse_json, and any unknown param."""
        problems = []
        commands = settings.PLANGATE_SHELL_COMMANDS
        allowed = ", ".join(sorted(commands)) or "none"
        name = params.get("command")
        command = None
        if name is None:
            problems.append(f"command is required; allowed: {allowed}")
        elif not isinstance(name, str):
            problems.append(f"command must be a name (a string), not {type(name).__name__}")
        elif name not in commands:
            problems.append(f"command {name!r} is not allowed; allowed: {allowed}")
        elif entry_problems := _entry_problems(commands[name]):
            problems.append(f"command {name!r} is misconfigured: {'; '.join(entry_problems)}")
        else:
            command = _command(name, commands[name])
        if "args" in params:
            problems += _args_problems(params["args"], command)
        if "stdin" in params:
            stdin = params["stdin"]
            if not isinstance(stdin, str):
                problems.append(f"stdin must be a string, not {type(stdin).__name__}")
            elif not _is_text(stdin):
                problems.append("stdin is not valid text (it holds a lone surrogate)")
        if "parse_json" in params and not isinstance(params["parse_json"], bool):
            problems.append(
                f"parse_json must be true or false, not {type(params['parse_json']).__name__}"
            )
        # Refused rather than ignored: a misspelt "arg" would otherwise run the command bare.
        problems += [
            f"unknown param {key!r}; allowed: {', '.join(PARAMS)}"
            for key in params
            if key not in PARAMS
        ]
        return problems

    async def run(self, spec: StepSpec) -> StepOutcome:
        """Run the command and classify how it ended (see the class docstring).

        Raises asyncio.CancelledError, after the command's whole process group is gone, when the
        task running it is cancelled.
        """
        # Settings may have changed since the plan was checked, so the allowlist is read again.
        problems = self.validate_params(spec.params)
        if problems:
            return StepOutcome.failure("shell: " + "; ".join(problems), FailureClass.BAD_INPUT)
        name: str = spec.params["command"]
        command = _command(name, settings.PLANGATE_SHELL_COMMANDS[name])
        argv = [*command.argv, *spec.params.get("args", [])]
        stdin: str | None = spec.params.get("stdin")
        try:
            async with asyncio.timeout(spec.timeout):
                finished = await _run(argv, None if stdin is None else stdin.encode())
        except TimeoutError:
            return StepOutcome.failure(
                f"shell {name}: timed out after {spec.timeout:g}s", FailureClass.TIMEOUT
            )
        except OSError as error:
            # The configured program is missing or not executable: the operator's to fix.
            return StepOutcome.failure(f"shell {name}: could not start {argv[0]!r}: {error}")
        return _outcome(name, finished, parse_json=spec.params.get("parse_json", False))


@dataclass(frozen=True)
class Command:
    """A checked PLANGATE_SHELL_COMMANDS entry."""

    name: str
    argv: tuple[str, ...]
    args: str  # one of ARGS_POLICIES
    max_args: int


@dataclass(frozen=True)
class Finished:
    """How a command ended: its exit code (negative: killed by that signal) and its output."""

    exit_code: int
    stdout: str
    stderr: str
    # False when stdout was cut (at the limit, or short): it cannot be parsed as JSON then.
    stdout_complete: bool


class _Capture(asyncio.SubprocessProtocol):
    """Keeps the first OUTPUT_LIMIT_BYTES of stdout and stderr, counts the rest, and notes when
    the process has exited and when every pipe is closed too."""

    def __init__(self) -> None:
        self.kept = {1: bytearray(), 2: bytearray()}
        self.dropped = {1: 0, 2: 0}
        # Events rather than futures: awaiting a future that gets cancelled cancels the future,
        # and the cleanup after a cancel must still be able to wait for the exit.
        self.exited = asyncio.Event()
        self.closed = asyncio.Event()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        kept = self.kept[fd]
        room = max(0, OUTPUT_LIMIT_BYTES - len(kept))
        kept += data[:room]
        # Still read (and dropped), so a chatty command never blocks on a full pipe.
        self.dropped[fd] += len(data) - min(room, len(data))

    def process_exited(self) -> None:
        self.exited.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()

    def text(self, fd: int) -> str:
        text = self.kept[fd].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        if self.dropped[fd]:
            text += f"\n[plangate: {self.dropped[fd]} more bytes dropped]"
        return text


async def _run(argv: list[str], stdin: bytes | None) -> Finished:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="plangate-shell-", ignore_cleanup_errors=True) as cwd:
        # loop.subprocess_exec (what asyncio.create_subprocess_exec wraps) with our own protocol:
        # output is capped as it arrives, and we hold the transport to close the pipes even if
        # a process that left the group keeps them open.
        transport, capture = await loop.subprocess_exec(
            _Capture,
            *argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"},
            # Its own session, so its own process group (pgid == pid): the whole of what it
            # starts can be signalled at once, and the worker's own signals (a Ctrl-C at the
            # terminal) do not reach it.
            start_new_session=True,
        )
        pgid = transport.get_pid()
        try:
            if stdin is not None:
                pipe = transport.get_pipe_transport(0)
                if isinstance(pipe, asyncio.WriteTransport):
                    # Buffered and written as the command reads; close() sends EOF once all is
                    # written. A command that exits without reading just loses it (EPIPE).
                    pipe.write(stdin)
                    pipe.close()
            try:
                await capture.exited.wait()
            except asyncio.CancelledError:
                # The worker cancels the task for a timeout or a plan cancel: nothing the
                # command started may outlive the step.
                await _stop_group(pgid, capture.exited)
                raise
            # It exited: whatever it left running in its group (a `cmd &`) goes too, which also
            # closes the pipes such processes inherited.
            await _stop_group(pgid, capture.exited)
            cut_short = False
            try:
                await asyncio.wait_for(capture.closed.wait(), KILL_GRACE_SECONDS)
            except TimeoutError:
                # Only a process that left the group (setsid) can still hold the pipes.
                cut_short = True
            exit_code = transport.get_returncode()
            if exit_code is None:  # cannot be: process_exited comes once the code is known
                raise RuntimeError(f"{argv[0]!r} exited without an exit code")
            stderr = capture.text(2)
            if cut_short:
                stderr += f"\n[plangate: {CUT_SHORT_NOTE}]"
            return Finished(
                exit_code=exit_code,
                stdout=capture.text(1),
                stderr=stderr,
                stdout_complete=not capture.dropped[1] and not cut_short,
            )
        finally:
            # Closes our ends of the pipes. Were the child still running (a second cancel cut
            # the stop short), this also SIGKILLs it.
            transport.close()


async def _stop_group(pgid: int, exited: asyncio.Event) -> None:
    """SIGTERM the process group, give it KILL_GRACE_SECONDS to go, SIGKILL what is left, and
    wait for the child to be reaped."""
    loop = asyncio.get_running_loop()
    try:
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGTERM)
            deadline = loop.time() + KILL_GRACE_SECONDS
            while _group_alive(pgid) and loop.time() < deadline:
                await asyncio.sleep(_POLL_SECONDS)
    finally:
        # Also when a second cancel cut the grace short: it only shortens the grace.
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
    # asyncio's child watcher reaps the child and then sets this.
    await exited.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # gone meanwhile
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (a zombie does not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg also finds zombies: the command's orphans are reaped by PID 1, which in a container
    # may be slow to do it or never do it. Only a live member counts.
    return _live_member(pgid)


def _live_member(pgid: int) -> bool:
    if sys.platform != "linux":
        return True  # no /proc to ask; killpg said the group exists
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
            if int(pgrp) == pgid and state not in {"Z", "X"}:
                return True
    return False


def _outcome(name: str, finished: Finished, *, parse_json: bool) -> StepOutcome:
    code = finished.exit_code
    if code != 0:
        if code < 0:
            how = f"was killed by {_signal_name(-code)}"
        else:
            how = f"exited with {code}" + (
                f" ({BAD_INPUT_EXITS[code]})" if code in BAD_INPUT_EXITS else ""
            )
        failure_class = (
            FailureClass.BAD_INPUT if code in BAD_INPUT_EXITS else FailureClass.EXECUTOR_ERROR
        )
        return StepOutcome.failure(f"shell {name}: {how}: {_tail(finished.stderr)}", failure_class)
    if not parse_json:
        return StepOutcome.success(
            {"exit_code": code, "stdout": finished.stdout, "stderr": finished.stderr}
        )
    if not finished.stdout_complete:
        return StepOutcome.failure(
            f"shell {name}: stdout is not JSON: it was cut at {OUTPUT_LIMIT_BYTES} bytes"
        )
    try:
        return StepOutcome.success(json.loads(finished.stdout))
    except ValueError as error:
        return StepOutcome.failure(f"shell {name}: stdout is not JSON: {error}")


def _entry_problems(entry: Any) -> list[str]:
    """What is wrong with a PLANGATE_SHELL_COMMANDS value: an argv list, or an object."""
    if isinstance(entry, list | tuple):
        return _argv_problems(entry)
    if not isinstance(entry, dict):
        return [
            f'its entry must be an argv list or an object with "argv", not {type(entry).__name__}'
        ]
    problems = []
    if "argv" not in entry:
        problems.append("argv is required")
    else:
        problems += _argv_problems(entry["argv"])
    if "args" in entry and entry["args"] not in ARGS_POLICIES:
        problems.append(f'args must be "none", "positional" or "any", not {entry["args"]!r}')
    if "max_args" in entry:
        max_args = entry["max_args"]
        if isinstance(max_args, bool) or not isinstance(max_args, int) or max_args < 0:
            problems.append(f"max_args must be a whole number, 0 or more, not {max_args!r}")
    problems += [
        f"unknown key {key!r}; allowed: {', '.join(COMMAND_KEYS)}"
        for key in entry
        if key not in COMMAND_KEYS
    ]
    return problems


def _argv_problems(argv: Any) -> list[str]:
    if not isinstance(argv, list | tuple):
        return [f"argv must be a list of strings, not {type(argv).__name__}"]
    if not argv:
        return ["argv is empty"]
    problems = [
        problem
        for index, part in enumerate(argv)
        if (problem := _string_problem(f"argv[{index}]", part))
    ]
    if argv[0] == "":
        problems.append("argv[0], the program, is empty")
    return problems


def _command(name: str, entry: list[str] | tuple[str, ...] | dict[str, Any]) -> Command:
    """The entry as a Command; _entry_problems(entry) must have found nothing wrong."""
    if isinstance(entry, dict):
        return Command(
            name=name,
            argv=tuple(entry["argv"]),
            args=entry.get("args", "positional"),
            max_args=entry.get("max_args", MAX_ARGS),
        )
    return Command(name=name, argv=tuple(entry), args="positional", max_args=MAX_ARGS)


def _args_problems(args: Any, command: Command | None) -> list[str]:
    """What is wrong with params.args; with `command` (None when it is unknown or misconfigured),
    also what that command does not allow."""
    if not isinstance(args, list):
        return [f"args must be a list of strings, not {type(args).__name__}"]
    if command is not None and command.args == "none" and args:
        return [f"command {command.name!r} takes no args; args holds {len(args)}"]
    problems = []
    max_args = MAX_ARGS if command is None else command.max_args
    if len(args) > max_args:
        problems.append(f"args may hold at most {max_args} items, not {len(args)}")
    for index, arg in enumerate(args):
        if problem := _string_problem(f"args[{index}]", arg):
            problems.append(problem)
        elif command is not None and command.args == "positional" and arg.startswith("-"):
            # An option would let a plan change what the command does: `--output=/etc/...`,
            # tar's `--checkpoint-action=exec=...`. Only an operator's "any" allows them.
            problems.append(
                f'args[{index}] starts with "-": command {command.name!r} takes positional '
                "args only, not options"
            )
    return problems


def _string_problem(label: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{label} must be a string, not {type(value).__name__}"
    if "\x00" in value:
        return f"{label} holds a NUL character"
    if not _is_text(value):
        return f"{label} is not valid text (it holds a lone surrogate)"
    return None


def _is_text(value: str) -> bool:
    # JSON may carry lone surrogates ("\ud800"), which no encoding can pass to a process.
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _tail(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-STDERR_TAIL_LINES:])
    if len(tail) > STDERR_TAIL_CHARS:
        tail = "…" + tail[-STDERR_TAIL_CHARS:]
    return tail or "(nothing on stderr)"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
