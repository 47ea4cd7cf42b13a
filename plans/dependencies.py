"""A plan's steps with their dependencies, loaded in one query however many steps there are.

`prefetch_related("depends_on")` loads every dependency as a new step object and builds a related
queryset per step: at thousands of steps that is most of a page's or an answer's time. Here the
dependency table is read once and each step's `depends_on` is filled with the step objects
already loaded, so `step.depends_on.all()` answers without a query, as after a prefetch.
Imports only Django: the revision content (also run by migrations, with historical models) uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet


class _Loaded(QuerySet[Any]):
    """A step's dependencies, already loaded. Iterating, `len()`, `count()` and `exists()` read
    them; anything that builds a new query (`filter`, `values_list`...) asks the database for the
    same set, as the related manager would."""

    _owner: Any = None

    def _chain(self) -> QuerySet[Any]:
        return self.model._default_manager.filter(dependents=self._owner)


def attach_dependencies(steps: Iterable[Any]) -> None:
    """Fill `depends_on` of each of `steps` (steps of one or more plans, as `PlanStep` or a
    migration's historical model) from one query; dependencies outside `steps` are loaded in one
    more. Each list is in position order, as the model orders steps."""
    steps = list(steps)
    if not steps:
        return
    model = type(steps[0])
    through = model.depends_on.through
    by_id = {s.pk: s for s in steps}
    plan_ids = {s.plan_id for s in steps}
    rows = list(
        through.objects.filter(from_planstep__plan_id__in=plan_ids).values_list(
            "from_planstep_id", "to_planstep_id"
        )
    )
    missing = {to for frm, to in rows if frm in by_id and to not in by_id}
    known = dict(by_id)
    if missing:
        known.update((s.pk, s) for s in model._default_manager.filter(pk__in=missing))
    found: dict[int, list[Any]] = {pk: [] for pk in by_id}
    for frm, to in rows:
        if frm in found:
            found[frm].append(known[to])
    # One query object for all of them: it is never run (the results are there) nor changed (a
    # new query is built by _chain), and building one per step is most of what attaching costs.
    shared = _Loaded(model=model).query
    for pk, deps in found.items():
        step = by_id[pk]
        deps.sort(key=lambda d: d.position)
        loaded = _Loaded(model=model, query=shared)
        loaded._owner = step
        loaded._result_cache = deps
        loaded._prefetch_done = True  # type: ignore[attr-defined]
        cache = step.__dict__.setdefault("_prefetched_objects_cache", {})
        cache["depends_on"] = loaded


def loaded_dependencies(step: Any) -> QuerySet[Any] | list[Any]:
    """What `step.depends_on.all()` gives, without building a related manager when they were
    attached or prefetched: at a thousand steps, read several times a page, that is what costs."""
    loaded = step.__dict__.get("_prefetched_objects_cache", {}).get("depends_on")
    return loaded if loaded is not None else step.depends_on.all()


def keep_dependencies(step: Any, dependencies: list[Any]) -> None:
    """Give a step just written its dependencies (step objects, in position order), for
    `dependencies_of`, without a query or a queryset of its own."""
    step.__dict__["_kept_dependencies"] = dependencies


def dependencies_of(step: Any) -> list[Any]:
    """A step's dependencies in position order: as kept when it was written, else as
    attached (or read)."""
    kept = step.__dict__.get("_kept_dependencies")
    return kept if kept is not None else list(loaded_dependencies(step))
