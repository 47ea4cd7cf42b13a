"""Each part of the benchmark prints its figures next to their targets, with PASS or MISS, and
leaves nothing behind. Tiny sizes: what is checked is the measuring, not the figures."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from plans.models import Plan, PlanEvent, PlanStep, Team
from tests.websockets import require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NUMBER = r"[\d,]+(\.\d+)?"


def benchmark(*args: str) -> str:
    out = StringIO()
    call_command("benchmark", *args, stdout=out)
    text = out.getvalue()
    assert not Plan.objects.exists(), text
    assert not Team.objects.exists(), text
    return text


def verdict(text: str, figure: str, target: str) -> None:
    """A line `<figure>  target <target>  PASS|MISS`, the figure holding numbers."""
    line = rf"{figure}\s+target {target}\s+(PASS|MISS)$"
    assert re.search(line, text, re.MULTILINE), f"no {line!r} in\n{text}"


def test_hop_and_peak_print_latencies_and_rate_against_their_targets() -> None:
    text = benchmark(
        "--parts=hop,peak",
        "--hop-steps=4",
        "--latency-samples=3",
        "--steps=20",
        "--steps-per-plan=10",
        "--concurrency=4",
    )
    assert "1 chain(s) of 4 echo steps" in text, text
    assert "3 hops" in text, text
    verdict(text, rf"per hop p50 {NUMBER} ms", r"<= 5 ms")
    verdict(text, rf"per hop p99 {NUMBER} ms", r"<= 20 ms")
    verdict(text, rf"approval to first step start p50 {NUMBER} ms", r"<= 5 ms")
    verdict(text, rf"approval to first step start p99 {NUMBER} ms", r"<= 20 ms")
    verdict(text, rf"4 workers: {NUMBER} steps/s \({NUMBER} s\)", ">= 3,000")


def test_defaults_bigplan_and_stream_go_through_the_api() -> None:
    text = benchmark(
        "--parts=defaults,bigplan,stream",
        "--api-workers=1",
        "--defaults-plans=2",
        "--defaults-steps=5",
        "--bigplan-steps=20",
        "--steps-per-plan=10",
        "--concurrency=4",
        # More than PLANGATE_MAX_STEPS: the server started for it takes it all the same.
        "--bigplan-accept-steps=600",
        "--bigplan-accept-tries=1",
        "--stream-rate=5",
        "--stream-seconds=0.4",
        "--stream-steps=2",
    )
    assert "2 plans of 5 no-op steps submitted and approved through the API" in text, text
    verdict(text, rf"{NUMBER} steps/s \({NUMBER} s\)", ">= 1,900 steps/s")
    assert re.search(rf"one plan: {NUMBER} steps/s", text), text
    assert re.search(rf"2 plans: {NUMBER} steps/s", text), text
    verdict(text, rf"ratio {NUMBER}", ">= 0.70")
    assert "POST /api/v1/plans of 600 steps" in text, text
    verdict(text, rf"accepted in {NUMBER} s", "< 1 s")
    assert "Stream: 2 plans of 2 steps" in text, text
    assert re.search(rf"{NUMBER} steps/s from the first approval", text), text
    assert re.search(rf"approval to first step start p50 {NUMBER} ms, p99 {NUMBER} ms", text)


def test_history_seeds_measures_keeps_its_rows_when_asked_then_removes_them() -> None:
    sizes = ["--parts=history", "--history-steps=100", "--history-events=500"]
    sizes += ["--history-requests=2", "--steps=20", "--steps-per-plan=10", "--concurrency=4"]
    out = StringIO()
    call_command("benchmark", *sizes, "--history-keep", stdout=out)
    text = out.getvalue()
    assert re.search(rf"seeded 2 finished plans, 100 steps and their events in {NUMBER} s", text)
    verdict(text, rf"ratio to the empty tables {NUMBER}", ">= 0.8")
    verdict(text, rf"plan list p50 {NUMBER} ms, p95 {NUMBER} ms", "p95 < 100 ms")
    verdict(text, rf"plan page p50 {NUMBER} ms, p95 {NUMBER} ms", "p95 < 100 ms")
    seeded = PlanStep.objects.filter(plan__user_id="history-seed")
    assert seeded.count() == 100
    assert PlanEvent.objects.filter(plan__user_id="history-seed").count() == 500

    # The next run reuses them, compares with the figure it is given, and removes them.
    text = benchmark(*sizes, "--history-baseline=100")
    assert "reusing the 2 seeded plans" in text, text
    assert "seeded 2" not in text, text
    verdict(text, rf"ratio to the empty tables {NUMBER}", ">= 0.8")
    assert not PlanStep.objects.exists()
    assert not PlanEvent.objects.exists()


def test_pages_prints_render_time_and_the_size_of_a_live_update() -> None:
    text = benchmark("--parts=pages", "--pages-steps=120", "--pages-requests=2")
    verdict(text, rf"plan page p50 {NUMBER} ms, p95 {NUMBER} ms", "p95 < 300 ms")
    # The page shows the first page of the plan's rows.
    assert re.search(rf"the full page {NUMBER} bytes, 100 of the 120 step rows", text), text
    verdict(text, rf"live update \d+ rows \({NUMBER} % of the page\)", "changed rows only")


def test_live_times_commit_to_frame_on_every_open_socket() -> None:
    require_redis()
    text = benchmark("--parts=live", "--live-clients=3", "--live-samples=2", "--live-gap=0.2")
    assert "3 WebSockets open" in text, text
    assert "6 frames" in text, text
    verdict(text, rf"commit to frame p50 {NUMBER} ms", "<= 50 ms")
    verdict(text, rf"commit to frame p99 {NUMBER} ms", "<= 250 ms")
