"""The plan page's dependency picture: steps as boxes, `depends_on` as arrows, laid out in layers
from left to right by grandalf's Sugiyama layout (pure Python, the layered layout graphviz calls
"dot") and drawn as SVG by templates/plans/includes/plan_graph.html.

The layout depends only on the plan's shape (its keys and dependencies), not on statuses, so it is
computed once per shape and kept: the live updates redraw the picture on every change of a step,
and at 200 steps the layout is what costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from plans.dependencies import loaded_dependencies
from plans.models import PlanStep
from plans.states import STEP_TERMINAL

NODE_WIDTH = 180
NODE_HEIGHT = 40
# Space between two steps of one layer, and between two layers (where the arrows run).
NODE_GAP = 14
LAYER_GAP = 56
# Space between two unconnected parts of the plan, stacked one under the other.
PART_GAP = 24
MARGIN = 8
# Longer keys are cut in the box; the box's tooltip and the step's row have them in full.
LABEL_CHARS = 22

Shape = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]
Point = tuple[float, float]


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    status: str
    status_label: str
    x: float
    y: float
    # A fan-out step: how many of its items are done, of how many ("" before it fans out).
    items: str = ""

    @property
    def cx(self) -> float:
        return self.x + NODE_WIDTH / 2

    @property
    def label_y(self) -> float:
        return self.y + 16

    @property
    def detail_y(self) -> float:
        return self.y + 32


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    # An SVG path: "M x,y L x,y ...".
    path: str


@dataclass(frozen=True)
class PlanGraph:
    nodes: list[Node]
    arrows: list[Arrow]
    width: float
    height: float

    @property
    def node_width(self) -> int:
        return NODE_WIDTH

    @property
    def node_height(self) -> int:
        return NODE_HEIGHT


def plan_graph(steps: Iterable[PlanStep]) -> PlanGraph:
    """The picture of a plan's own steps (not their fan-out items), from steps loaded with
    `depends_on` and `children` prefetched (plans.selectors.plan_get_for_user)."""
    steps = [s for s in steps if s.parent_id is None]
    keys = tuple(s.key for s in steps)
    known = set(keys)
    edges = tuple(
        (d.key, s.key)
        for s in steps
        for d in sorted(loaded_dependencies(s), key=lambda d: (d.position, d.pk))
        if d.key in known
    )
    boxes, paths, width, height = _layout((keys, edges))
    nodes = [
        Node(
            key=s.key,
            label=_cut(s.key),
            status=s.status,
            status_label=s.get_status_display(),
            x=boxes[s.key][0],
            y=boxes[s.key][1],
            items=_items_done(s),
        )
        for s in steps
    ]
    arrows = [Arrow(source=a, target=b, path=paths[(a, b)]) for a, b in edges]
    return PlanGraph(nodes=nodes, arrows=arrows, width=width, height=height)


def _cut(key: str) -> str:
    return key if len(key) <= LABEL_CHARS else key[: LABEL_CHARS - 1] + "…"


def _items_done(step: PlanStep) -> str:
    if step.for_each is None:
        return ""
    items: dict[int, bool] = {}
    for child in step.children.all():
        index = child.item_index or 0
        items[index] = items.get(index, True) and child.status in STEP_TERMINAL
    if not items:
        return ""
    return f"{sum(items.values())}/{len(items)} done"


class _View:
    """What grandalf reads and writes on a vertex or an edge: its size, position and route.
    Width and height are swapped: grandalf stacks layers downwards, the page reads left to right."""

    def __init__(self, w: float = 0, h: float = 0) -> None:
        self.w, self.h = w, h
        self.xy: Point = (0.0, 0.0)
        self.points: list[Point] = []

    def setpath(self, points: list[Point]) -> None:
        self.points = points


@lru_cache(maxsize=64)
def _layout(
    shape: Shape,
) -> tuple[dict[str, Point], dict[tuple[str, str], str], float, float]:
    """Top-left corners of the boxes by key, the arrows' paths by (from, to), and the size."""
    keys, edges = shape
    vertices = {k: Vertex(k) for k in keys}
    for v in vertices.values():
        v.view = _View(w=NODE_HEIGHT, h=NODE_WIDTH)
    graph_edges = []
    for a, b in edges:
        e = Edge(vertices[a], vertices[b])
        e.view = _View()
        graph_edges.append(e)
    graph = Graph(list(vertices.values()), graph_edges)

    boxes: dict[str, Point] = {}
    paths: dict[tuple[str, str], str] = {}
    top = float(MARGIN)
    width = 0.0
    singles = [part for part in graph.C if len(part.sV) == 1 and not part.sE]
    for part in graph.C:
        if len(part.sV) == 1 and not part.sE:
            continue
        layout = SugiyamaLayout(part)
        layout.xspace, layout.yspace = NODE_GAP, LAYER_GAP
        layout.init_all()
        layout.draw(2)
        # grandalf gives centres with layers along y; turn them a quarter so layers run along x.
        centres = {v.data: (v.view.xy[1], v.view.xy[0]) for v in part.sV}
        min_x = min(x for x, _ in centres.values()) - NODE_WIDTH / 2
        min_y = min(y for _, y in centres.values()) - NODE_HEIGHT / 2

        def at(
            x: float, y: float, min_x: float = min_x, min_y: float = min_y, top: float = top
        ) -> Point:
            return (x - min_x + MARGIN, y - min_y + top)

        bottom = top
        for key, (x, y) in centres.items():
            left, upper = at(x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2)
            boxes[key] = (left, upper)
            width = max(width, left + NODE_WIDTH + MARGIN)
            bottom = max(bottom, upper + NODE_HEIGHT)
        for e in part.sE:
            # From the right edge of the source box to the left edge of the target's, through
            # the layout's bend points between the layers.
            bends = [at(p[1], p[0]) for p in e.view.points[1:-1]]
            (sx, sy), (tx, ty) = boxes[e.v[0].data], boxes[e.v[1].data]
            points = [
                (sx + NODE_WIDTH, sy + NODE_HEIGHT / 2),
                *bends,
                (tx - 2, ty + NODE_HEIGHT / 2),
            ]
            paths[(e.v[0].data, e.v[1].data)] = "M " + " L ".join(
                f"{x:.0f},{y:.0f}" for x, y in points
            )
        top = bottom + PART_GAP
    # Steps on their own (no dependency either way) fill rows under the rest, rather than a
    # column as long as the plan.
    per_row = max(4, int((width - MARGIN) // (NODE_WIDTH + NODE_GAP)))
    for i, part in enumerate(singles):
        row, column = divmod(i, per_row)
        left = MARGIN + column * (NODE_WIDTH + NODE_GAP)
        upper = top + row * (NODE_HEIGHT + NODE_GAP)
        boxes[next(iter(part.sV)).data] = (left, upper)
        width = max(width, left + NODE_WIDTH + MARGIN)
    if singles:
        top += ((len(singles) - 1) // per_row + 1) * (NODE_HEIGHT + NODE_GAP) - NODE_GAP + PART_GAP
    height = top - PART_GAP + MARGIN if keys else 0.0
    return boxes, paths, width, height
