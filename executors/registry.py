"""Executor name -> executor instance, from settings.PLANGATE_EXECUTORS, imported on first use."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from executors.protocol import Executor, UnknownExecutor


def names() -> list[str]:
    """The registered executor names, sorted."""
    return sorted(settings.PLANGATE_EXECUTORS)


def is_registered(name: str) -> bool:
    return name in settings.PLANGATE_EXECUTORS


def get(name: str) -> Executor:
    """The executor registered under `name`; raises UnknownExecutor for any other name."""
    try:
        path = settings.PLANGATE_EXECUTORS[name]
    except KeyError:
        raise UnknownExecutor(
            f"unknown executor {name!r}; registered: {', '.join(names()) or 'none'}"
        ) from None
    return _load(path)


@cache
def _load(path: str) -> Executor:
    executor = import_string(path)()
    if not isinstance(executor, Executor):
        raise UnknownExecutor(f"{path} does not implement the Executor protocol")
    return executor


def clear_cache() -> None:
    """Forget loaded executors (tests that change the settings call this)."""
    _load.cache_clear()
