"""The plan page's steps in pages: a big plan shows STEPS_PER_PAGE rows at a time, with links to
the other pages, a count of its steps by status over the whole plan, and links to a step that
land on the page holding it. A plan of up to STEPS_PER_PAGE steps is one page, shown as it
always was: no navigation, and links to a step are plain `#step-...` anchors.

The page shown is in the query (`?page=2`), so the navigation is plain links and works without
JavaScript; `?step=<key>` answers with a redirect to the page holding that step, at its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict

from plans.models import PlanStep
from plans.states import StepStatus
from plans.web.templatetags.plan_tags import step_dom_id

STEPS_PER_PAGE = 100
# A plan with more steps than this has its dependency picture drawn only when asked for
# (`?graph=1`): at a thousand boxes it is neither readable nor cheap to send on every update.
GRAPH_STEPS = 200
# A paged plan's skip form names this many of the steps that depend on a step, then counts the
# rest: in a long chain the first step has hundreds.
DEPENDENTS_LISTED = 20
# Page links shown on either side of the current page, besides the first and the last.
PAGES_AROUND = 3


@dataclass(frozen=True)
class StatusCount:
    """How many of the plan's steps have a status, and the first of them (a link to its page)."""

    status: str
    label: str
    count: int
    first: str


@dataclass(frozen=True)
class StepsPage:
    """The rows one page shows, and where every other step is."""

    number: int
    count: int
    total: int
    steps: list[PlanStep]
    # Each step's page, by key; empty when the plan is one page.
    page_of: dict[str, int] = field(default_factory=dict)
    statuses: list[StatusCount] = field(default_factory=list)
    # The dependency picture asked for on a plan too big to draw it by default.
    graph: bool = False

    @property
    def paged(self) -> bool:
        return self.count > 1

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row in the plan."""
        return (self.number - 1) * STEPS_PER_PAGE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.steps) - 1

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None

    @property
    def links(self) -> list[int | None]:
        """Page numbers to link to, in order; None where a run of them is left out."""
        near = range(
            max(1, self.number - PAGES_AROUND), min(self.count, self.number + PAGES_AROUND) + 1
        )
        shown = sorted({1, self.count, *near})
        out: list[int | None] = []
        for n in shown:
            before = out[-1] if out else n - 1
            if before is not None and n - before == 2:
                # One page between: its number takes no more room than the "…".
                out.append(n - 1)
            elif before is not None and n - before > 2:
                out.append(None)
            out.append(n)
        return out

    def query(self, number: int | None = None, *, graph: bool | None = None) -> str:
        """The query string of page `number` (this one by default), with the picture if it was
        asked for (or as `graph` says); "" for a plan of one page without it."""
        params: dict[str, int] = {}
        if self.paged:
            params["page"] = self.number if number is None else number
        if self.graph if graph is None else graph:
            params["graph"] = 1
        return f"?{urlencode(params)}" if params else ""

    @property
    def draw_query(self) -> str:
        """This page with the dependency picture drawn."""
        return self.query(graph=True)

    @property
    def fold_query(self) -> str:
        """This page without it."""
        return self.query(graph=False)

    def href(self, key: str, prefix: str = "") -> str:
        """A link to the step's row (or to `prefix` + its row's id): an anchor on this page, or
        the page holding it then the anchor."""
        anchor = f"#{prefix}{step_dom_id(key)}"
        page = self.page_of.get(key, self.number)
        return anchor if page == self.number else f"{self.query(page)}{anchor}"


def steps_page(steps: Sequence[PlanStep], query: QueryDict) -> StepsPage:
    """The page of `steps` (a plan's own steps, in order) that `query` asks for: `page` (the
    first for none or nonsense, the last past the end) and `graph`."""
    total = len(steps)
    count = max(1, -(-total // STEPS_PER_PAGE))
    try:
        number = min(max(1, int(query.get("page", "1"))), count)
    except ValueError:
        number = 1
    graph = total > GRAPH_STEPS and query.get("graph") == "1"
    if count == 1:
        return StepsPage(number=1, count=1, total=total, steps=list(steps), graph=graph)
    start = (number - 1) * STEPS_PER_PAGE
    return StepsPage(
        number=number,
        count=count,
        total=total,
        steps=list(steps[start : start + STEPS_PER_PAGE]),
        page_of={s.key: i // STEPS_PER_PAGE + 1 for i, s in enumerate(steps)},
        statuses=status_counts(steps),
        graph=graph,
    )


def status_counts(steps: Sequence[PlanStep]) -> list[StatusCount]:
    """The statuses the plan's steps have, in the order a step goes through them, counted."""
    counts: dict[str, int] = {}
    firsts: dict[str, str] = {}
    for s in steps:
        counts[s.status] = counts.get(s.status, 0) + 1
        firsts.setdefault(s.status, s.key)
    return [
        StatusCount(status=value, label=str(label), count=counts[value], first=firsts[value])
        for value, label in StepStatus.choices
        if value in counts
    ]


def page_holding(keys: Sequence[str], key: str) -> int | None:
    """The page number of the step `key` among a plan's own step keys, in order; None for a key
    the plan has no step of."""
    try:
        return keys.index(key) // STEPS_PER_PAGE + 1
    except ValueError:
        return None
