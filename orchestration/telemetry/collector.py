"""The web process's Prometheus metrics, read from the database at scrape time.

Every server process answers /metrics with the same numbers: they are the database's, not the
process's, so a scrape of any one of them (or of a load balancer in front) is enough. A scrape
runs a handful of aggregate queries (plans/telemetry/selectors.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from plans.budgets import selectors as budget_selectors
from plans.models import CircuitState
from plans.telemetry import selectors


def team_month_spend() -> Iterable[tuple[str, Decimal]]:
    """(team name, spend) of each team this calendar month (UTC)."""
    return budget_selectors.team_month_spend().items()


class DatabaseCollector:
    """Plans, steps, the queue, circuits and waiting decisions, as they are in the database."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        plans = GaugeMetricFamily(
            "plangate_plans", "Plans by status, every plan ever submitted.", labels=["status"]
        )
        for status, n in selectors.plan_counts().items():
            plans.add_metric([status], n)
        yield plans

        steps = GaugeMetricFamily(
            "plangate_steps",
            "Steps of plans that are approved, executing or need attention, by status and "
            "executor (fan-out items included).",
            labels=["status", "executor"],
        )
        queue = GaugeMetricFamily(
            "plangate_queue_depth",
            "Steps ready to be claimed now (pending, dependencies done, retry time come, plan "
            "executing), by executor; this includes steps held back by an open circuit.",
            labels=["executor"],
        )
        ready: dict[str, int] = dict.fromkeys(settings.PLANGATE_EXECUTORS, 0)
        for row in selectors.step_counts(now):
            steps.add_metric([row.status, row.executor], row.steps)
            ready[row.executor] = ready.get(row.executor, 0) + row.ready
        for executor, n in sorted(ready.items()):
            queue.add_metric([executor], n)
        yield steps
        yield queue

        circuits = GaugeMetricFamily(
            "plangate_circuit_state",
            "Each team's circuit breaker per executor: 1 for its current state (closed, open, "
            "half_open), 0 for the others.",
            labels=["team", "executor", "state"],
        )
        failures = GaugeMetricFamily(
            "plangate_circuit_consecutive_failures",
            "Failures in a row counted against each team's circuit per executor.",
            labels=["team", "executor"],
        )
        for circuit in selectors.circuit_states():
            for state in CircuitState.values:
                circuits.add_metric(
                    [circuit.team, circuit.executor, state], int(circuit.state == state)
                )
            failures.add_metric([circuit.team, circuit.executor], circuit.consecutive_failures)
        yield circuits
        yield failures

        waiting = GaugeMetricFamily(
            "plangate_decisions_waiting",
            "What waits for a reviewer: plans awaiting approval (plan), steps awaiting a gate's "
            "approval (gate), plans that need attention after a failure (rescue).",
            labels=["kind"],
        )
        oldest = GaugeMetricFamily(
            "plangate_decision_oldest_wait_seconds",
            "How long the longest-waiting decision of each kind has waited (0 when none waits).",
            labels=["kind"],
        )
        for kind, found in selectors.decisions_waiting().items():
            waiting.add_metric([kind], found.count)
            age = (now - found.oldest_since).total_seconds() if found.oldest_since else 0.0
            oldest.add_metric([kind], max(age, 0.0))
        yield waiting
        yield oldest

        spend = GaugeMetricFamily(
            "plangate_team_month_spend",
            "What each team's steps cost this calendar month, in the pricing table's currency.",
            labels=["team"],
        )
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for team, amount in team_month_spend():
            totals[team] += amount
        for team, amount in sorted(totals.items()):
            spend.add_metric([team], float(amount))
        yield spend


def registry() -> CollectorRegistry:
    """A registry holding the database collector (not the process-wide default one, whose
    process metrics say nothing about Plangate)."""
    found = CollectorRegistry(auto_describe=False)
    found.register(DatabaseCollector())
    return found
