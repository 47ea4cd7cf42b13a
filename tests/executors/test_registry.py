"""The registry hands out the built-in executors by name."""

from __future__ import annotations

import inspect

import pytest

from executors import registry
from executors.builtin.combine import CombineExecutor
from executors.builtin.echo import EchoExecutor
from executors.builtin.http import HttpExecutor
from executors.builtin.python import PythonExecutor
from executors.builtin.shell import ShellExecutor
from executors.protocol import Executor, UnknownExecutor

BUILTINS = [
    ("echo", EchoExecutor),
    ("combine", CombineExecutor),
    ("python", PythonExecutor),
    ("http", HttpExecutor),
    ("shell", ShellExecutor),
]


@pytest.mark.parametrize(("name", "cls"), BUILTINS)
def test_get__returns_the_builtin(name, cls):
    executor = registry.get(name)
    assert isinstance(executor, cls)
    assert isinstance(executor, Executor)


def test_get__returns_the_same_instance_each_time():
    assert registry.get("echo") is registry.get("echo")


def test_names__lists_the_builtins():
    assert registry.names() == ["combine", "echo", "http", "python", "shell"]
    assert registry.is_registered("shell")
    assert not registry.is_registered("bash")


def test_get__refuses_an_unknown_name_naming_it():
    with pytest.raises(UnknownExecutor, match="unknown executor 'bash'"):
        registry.get("bash")


def test_only_the_python_executor_needs_a_thread():
    # The worker awaits async executors on its event loop and runs the others in threads.
    threaded = [name for name, cls in BUILTINS if not inspect.iscoroutinefunction(cls.run)]
    assert threaded == ["python"]
