"""The registry hands out the built-in executors by name."""

from __future__ import annotations

import pytest

from executors import registry
from executors.builtin.combine import CombineExecutor
from executors.builtin.echo import EchoExecutor
from executors.builtin.http import HttpExecutor
from executors.builtin.python import PythonExecutor
from executors.protocol import Executor, UnknownExecutor


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("echo", EchoExecutor),
        ("combine", CombineExecutor),
        ("python", PythonExecutor),
        ("http", HttpExecutor),
    ],
)
def test_get__returns_the_builtin(name, cls):
    executor = registry.get(name)
    assert isinstance(executor, cls)
    assert isinstance(executor, Executor)


def test_get__returns_the_same_instance_each_time():
    assert registry.get("echo") is registry.get("echo")


def test_names__lists_the_builtins():
    assert registry.names() == ["combine", "echo", "http", "python"]
    assert registry.is_registered("combine")
    assert not registry.is_registered("shell")


def test_get__refuses_an_unknown_name_naming_it():
    with pytest.raises(UnknownExecutor, match="unknown executor 'shell'"):
        registry.get("shell")
