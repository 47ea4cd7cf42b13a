"""`history`: the engine and the pages on a database that already holds a long history.

Seeds finished plans, steps and events in a team of its own with INSERT ... SELECT over
generate_series, each row a copy of a real one (a plan submitted through the services) with its
ids, keys, statuses and times set, so the seed follows the tables whatever columns they gain."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from orchestration.benchmarks.support import Bench, median, percentile
from plans.models import Plan, PlanStep, Team

TEAM = "benchmark-history"
SEEDED = "history-seed"  # the user_id of every seeded plan
PER_PLAN = 50
RATIO_TARGET = 0.8
PAGE_TARGET_MS = 100
EVENT_KINDS = ("step.started", "step.completed", "comment.added", "step.started", "step.completed")


def settle() -> None:
    """VACUUM (ANALYZE) the tables the seed wrote: outside a transaction, as VACUUM must be."""
    with connection.cursor() as cursor:
        for table in ("plans_plan", "plans_planstep", "plans_planevent"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def run(bench: Bench) -> None:
    o = bench.options
    steps, events = o["history_steps"], o["history_events"]
    team, created = Team.objects.get_or_create(name=TEAM)
    seeded = Plan.objects.filter(team=team, user_id=SEEDED)
    reused = not created and seeded.exists()
    baseline: float | None = o["history_baseline"]
    try:
        if not reused:
            # Seeded rows of a run that was stopped before it cleaned up.
            drop(team)
            bench.out("History: 4 workers on the tables as they are, before seeding:")
            baseline, _ = bench.throughput(4, o["steps"], o["steps_per_plan"], o["concurrency"])
            bench.out(f"  {baseline:.0f} steps/s")
            started = time.monotonic()
            seed(bench, team, steps=steps, events=events)
            bench.out(
                f"  seeded {seeded.count()} finished plans, "
                f"{PlanStep.objects.filter(plan__in=seeded).count()} steps and their events "
                f"in {time.monotonic() - started:.1f} s"
            )
            # As a live database's autovacuum leaves freshly written tables, before the run that
            # it would otherwise share the CPUs with.
            started = time.monotonic()
            settle()
            bench.out(f"  vacuumed and analysed in {time.monotonic() - started:.1f} s")
        else:
            bench.out(
                f"History: reusing the {seeded.count()} seeded plans of team {TEAM!r} "
                f"(kept by --history-keep)"
            )
        rate, _ = bench.throughput(4, o["steps"], o["steps_per_plan"], o["concurrency"])
        bench.out(f"  4 workers with the history: {rate:.0f} steps/s")
        if baseline:
            ratio = rate / baseline
            bench.verdict(
                f"ratio to the empty tables {ratio:.2f}",
                f">= {RATIO_TARGET}",
                ratio >= RATIO_TARGET,
            )
        else:
            bench.out("  no figure before seeding to compare with: pass --history-baseline")
        requests = o["history_requests"]
        plan = seeded.order_by("-created_at").first()
        if plan is None:
            raise CommandError("no seeded plan to show")
        with bench.reviewer(team) as client:
            pages = [
                ("plan list", reverse("plans:list")),
                ("plan page", reverse("plans:detail", args=[plan.pk])),
            ]
            bench.out(
                f"  server time (Django's test Client in this process, no network), "
                f"{requests} requests each, {PER_PLAN} steps on the plan page:"
            )
            for name, path in pages:
                times, _ = bench.server_times(client, path, requests)
                p95 = percentile(times, 0.95)
                bench.verdict(
                    f"{name} p50 {median(times):.1f} ms, p95 {p95:.1f} ms",
                    f"p95 < {PAGE_TARGET_MS} ms",
                    p95 < PAGE_TARGET_MS,
                )
    finally:
        if not o["history_keep"]:
            started = time.monotonic()
            drop(team)
            Plan.objects.filter(team=team).delete()
            team.delete()
            bench.out(f"  removed the seeded rows in {time.monotonic() - started:.1f} s")


def columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def copy(table: str, overrides: dict[str, str], source: str, *, skip: tuple[str, ...] = ()) -> str:
    """INSERT INTO `table` SELECT every column from the template row `t`, or its override, over
    `source` (the FROM and WHERE clauses)."""
    names = [c for c in columns(table) if c not in skip]
    values = [overrides.get(c, f't."{c}"') for c in names]
    quoted = ", ".join(f'"{c}"' for c in names)
    return f"INSERT INTO {table} ({quoted}) SELECT {', '.join(values)} {source}"


@transaction.atomic
def seed(bench: Bench, team: Team, *, steps: int, events: int) -> None:
    """`steps` finished steps in plans of PER_PLAN and about `events` events spread over them."""
    template = bench.submit(1, team=team)
    step = PlanStep.objects.get(plan=template)
    plans = max(1, steps // PER_PLAN)
    per_plan_events = max(1, events // plans)
    kinds = "ARRAY[" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + "]"
    seeded = f"p.team_id = {int(team.pk)} AND p.user_id = '{SEEDED}'"
    with connection.cursor() as cursor:
        cursor.execute(
            copy(
                "plans_plan",
                {
                    "id": "md5(t.id::text || g::text)::uuid",
                    "user_id": f"'{SEEDED}'",
                    "topic_id": "'topic-' || mod(g, 500)",
                    "goal": "'Seeded plan ' || g",
                    "status": "'completed'",
                    "approved_version": "1",
                    "created_at": "now() - g * interval '1 minute'",
                    "approved_at": "now() - g * interval '1 minute' + interval '1 second'",
                    "started_at": "now() - g * interval '1 minute' + interval '2 seconds'",
                    "finished_at": "now() - g * interval '1 minute' + interval '10 seconds'",
                    "updated_at": "now() - g * interval '1 minute' + interval '10 seconds'",
                },
                "FROM plans_plan t CROSS JOIN generate_series(1, %s) g WHERE t.id = %s",
            ),
            [plans, template.pk],
        )
        cursor.execute(
            copy(
                "plans_planstep",
                {
                    "plan_id": "p.id",
                    "key": "'s' || g",
                    "position": "g",
                    "task": "'no-op ' || g",
                    "status": "'completed'",
                    "result": """jsonb_build_object('echo', 'no-op ' || g)""",
                    "attempts": "1",
                    "started_at": "p.started_at + g * interval '100 milliseconds'",
                    "finished_at": "p.started_at + g * interval '100 milliseconds' "
                    "+ interval '50 milliseconds'",
                },
                "FROM plans_planstep t CROSS JOIN plans_plan p "
                f"CROSS JOIN generate_series(0, {PER_PLAN - 1}) g WHERE t.id = %s AND {seeded}",
                skip=("id",),
            ),
            [step.pk],
        )
        cursor.execute(
            copy(
                "plans_planevent",
                {
                    "plan_id": "p.id",
                    "kind": f"({kinds})[mod(g, {len(EVENT_KINDS)}) + 1]",
                    "step_key": f"'s' || mod(g / {len(EVENT_KINDS)}, {PER_PLAN})",
                    "actor": "'worker:seed:1'",
                    "data": """jsonb_build_object('attempt', 1, 'worker', 'seed:1')""",
                    "created_at": "p.started_at + g * interval '20 milliseconds'",
                },
                "FROM (SELECT * FROM plans_planevent WHERE plan_id = %s ORDER BY id LIMIT 1) t "  # noqa: S608
                f"CROSS JOIN plans_plan p CROSS JOIN generate_series(0, {per_plan_events - 1}) g "
                f"WHERE {seeded}",
                skip=("id",),
            ),
            [template.pk],
        )
    # The template is not part of the history.
    Plan.objects.filter(pk=template.pk).delete()
    connection.cursor().execute("ANALYZE plans_plan, plans_planstep, plans_planevent")


def drop(team: Any) -> None:
    """Delete the seeded rows in three statements: the ORM's cascade would load every one."""
    plans = "SELECT id FROM plans_plan WHERE team_id = %s AND user_id = %s"
    with connection.cursor() as cursor:
        for table in ("plans_planevent", "plans_planstep"):
            cursor.execute(
                f"DELETE FROM {table} WHERE plan_id IN ({plans})",  # noqa: S608 - our tables
                [team.pk, SEEDED],
            )
        cursor.execute(
            "DELETE FROM plans_plan WHERE team_id = %s AND user_id = %s", [team.pk, SEEDED]
        )
