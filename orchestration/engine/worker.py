"""The worker: starts approved plans and runs their ready steps through the executors.

Shaped like healthchecks' `sendalerts`: `run_forever()` calls small methods that each do one unit
of work and return whether there was any, until a stop is asked for (the runworker command's
signal handler sets the flag). Tests call the methods directly.

Steps run in a thread pool, outside any transaction; each outcome is recorded in a short one by
`services.step_finish`. Every change of status goes through plans/services.py, whose locks and
compare-and-swap updates make it safe to run many workers against one database: a step is
claimed by exactly one of them, and a late result (the plan was cancelled meanwhile) is refused.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from uuid import UUID

from django.conf import settings
from django.db import connection

from executors import registry
from executors.protocol import StepOutcome, StepSpec
from plans import selectors, services
from plans.models import Plan, PlanStep
from plans.states import PLAN_TERMINAL, PlanStatus, StepStatus

logger = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 30.0
STOPPED_ERROR = "the worker stopped before the step finished"


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(executor: str, spec: StepSpec) -> StepOutcome:
    """Run `spec` with the named executor. Never raises: an exception (an unknown executor
    included) becomes a failed outcome "<Type>: <message>"."""
    try:
        outcome = registry.get(executor).run(spec)
    except Exception as error:
        return StepOutcome.failure(f"{type(error).__name__}: {error}")
    if not isinstance(outcome, StepOutcome):
        return StepOutcome.failure(
            f"executor {executor!r} returned {type(outcome).__name__}, not a StepOutcome"
        )
    return outcome


@dataclass
class RunningStep:
    """A step this worker claimed and runs in its pool."""

    step_id: int
    executor: str
    spec: StepSpec
    # Set by the pool thread once the executor has returned: from then on the step leaving
    # in_progress is this worker's own doing, not a cancel to pass on.
    executed: bool = False
    future: Future[None] = field(init=False, repr=False)

    @property
    def label(self) -> str:
        return f"step {self.spec.step_key!r} of plan {self.spec.plan_id}"


class Worker:
    """Runs approved plans step by step, up to `concurrency` steps at once."""

    def __init__(
        self,
        *,
        name: str | None = None,
        concurrency: int | None = None,
        poll_seconds: float | None = None,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
    ) -> None:
        self.name = name or default_name()
        self.actor = services.Actor.worker(self.name)
        self.concurrency = (
            settings.PLANGATE_WORKER_CONCURRENCY if concurrency is None else concurrency
        )
        self.poll_seconds = (
            settings.PLANGATE_WORKER_POLL_SECONDS if poll_seconds is None else poll_seconds
        )
        if self.concurrency < 1 or self.poll_seconds <= 0 or grace_seconds < 0:
            raise ValueError("concurrency must be at least 1, poll positive, grace not negative")
        self.grace_seconds = grace_seconds
        # Claimed steps by id. Only the thread calling the methods below (the loop's) reads or
        # changes it; pool threads only flip RunningStep.executed.
        self.running: dict[int, RunningStep] = {}
        # Steps still running when the grace period ended (see shutdown()).
        self.abandoned: list[RunningStep] = []
        self.stopping = False
        # Set by stop() and by pool threads when a step ends, so an idle loop wakes at once.
        self._wake = threading.Event()
        self._pool = ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="plangate-step"
        )
        self._closed = False

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    # --- The loop -------------------------------------------------------------------------------

    def run_forever(self, *, once: bool = False) -> None:
        """Work until stop() is called, then shut down (see shutdown()).

        With `once`, return as soon as there is nothing left to do: no plan to start, no step
        ready and none running. Otherwise an error in one round is logged and the loop goes on.
        """
        logger.info(
            "worker %s started: %d slot(s), polling every %gs",
            self.name,
            self.concurrency,
            self.poll_seconds,
        )
        try:
            while not self.stopping:
                # Cleared before looking for work, so a step that ends while we look sets it
                # again and the wait below returns at once.
                self._wake.clear()
                try:
                    worked = self.run_once()
                except Exception:
                    if once:
                        raise
                    logger.exception("worker %s: this round failed; trying again", self.name)
                    # The error may have come from a broken connection (a database restart);
                    # the next query opens a new one.
                    connection.close()
                    worked = False
                if worked:
                    continue
                if once and not self.running:
                    break
                self._wake.wait(self.poll_seconds)
            if self.stopping:
                logger.info("worker %s stopping", self.name)
        finally:
            self.shutdown()
        logger.info("worker %s stopped", self.name)

    def run_once(self) -> bool:
        """One round: reap, pass on cancels, start plans, start steps. True if anything happened."""
        reaped = self.reap_finished()
        signalled = self.signal_cancelled_steps()
        started = self.start_approved_plans()
        dispatched = self.dispatch_ready_steps()
        return reaped or signalled or started or dispatched

    def stop(self, *, from_signal: bool = False) -> None:
        """Ask run_forever() to stop claiming work and return once running steps end.

        From a signal handler pass from_signal=True: only the flag is set, and the loop sees it
        within one poll interval. Setting the wake-up Event there could deadlock: a handler runs
        on the main thread between two bytecodes, possibly while that thread holds the Event's
        lock inside wait().
        """
        self.stopping = True
        if not from_signal:
            self._wake.set()

    def shutdown(self) -> None:
        """Stop claiming; wait up to the grace period for running steps; release the pool.

        Steps still running after the grace period have their executors signalled and are
        recorded failed (retryable), so their plans do not wait on a step no one will finish;
        their late results are refused. They are listed in `abandoned`. Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        self.stopping = True
        if self.running:
            logger.info(
                "worker %s: waiting up to %gs for %d running step(s)",
                self.name,
                self.grace_seconds,
                len(self.running),
            )
        deadline = time.monotonic() + self.grace_seconds
        while self.running and (left := deadline - time.monotonic()) > 0:
            futures = [job.future for job in self.running.values()]
            wait(futures, timeout=min(left, self.poll_seconds), return_when=FIRST_COMPLETED)
            self.reap_finished()
            # A plan cancelled during the grace period still stops its steps early.
            self.signal_cancelled_steps()
        for job in self.running.values():
            self._abandon(job)
        self.abandoned = list(self.running.values())
        self.running.clear()
        # Abandoned steps' threads cannot be killed; the caller decides whether to wait for them
        # (the command exits instead).
        self._pool.shutdown(wait=not self.abandoned, cancel_futures=True)

    # --- Units of work --------------------------------------------------------------------------

    def start_approved_plans(self) -> bool:
        """Move approved plans to executing. True if this worker started any."""
        if self.stopping:
            return False
        started = False
        for plan in list(selectors.approved_plans()):
            # False: another worker started it first, or it was cancelled meanwhile.
            if services.plan_start(plan=plan, actor=self.actor):
                started = True
                logger.info("plan %s started", plan.pk)
                self._log_if_ended(plan.pk)
        return started

    def dispatch_ready_steps(self) -> bool:
        """Claim ready steps while a slot is free and start each in the pool. True if any."""
        started = False
        passed_over: set[int] = set()
        while not self.stopping and (free := self.concurrency - len(self.running)) > 0:
            candidates = list(
                selectors.ready_steps()
                .exclude(pk__in=[*self.running, *passed_over])
                .values_list("pk", flat=True)[:free]
            )
            if not candidates:
                break
            for step_id in candidates:
                step = self._claim(step_id)
                if step is None:
                    # Another worker claimed it, or a skip or a cancel got there first.
                    passed_over.add(step_id)
                    continue
                self._submit(step)
                started = True
        return started

    def reap_finished(self) -> bool:
        """Forget steps whose run has ended, logging any that ended in an error. True if any."""
        done = [job for job in self.running.values() if job.future.done()]
        for job in done:
            del self.running[job.step_id]
            if job.future.cancelled():
                continue
            error = job.future.exception()
            if error is not None:
                # _run_step turns every executor error into an outcome, so this is the database
                # failing: the outcome may not be recorded and the step then stays in progress.
                logger.error(
                    "%s: the worker failed while recording it",
                    job.label,
                    exc_info=(type(error), error, error.__traceback__),
                )
        return bool(done)

    def signal_cancelled_steps(self) -> bool:
        """Set the cancelled Event of running steps that are no longer this worker's to finish
        (their plan was cancelled, which fails them at once). True if any was signalled."""
        watched = {
            pk: job
            for pk, job in self.running.items()
            if not job.executed and not job.spec.cancelled.is_set()
        }
        if not watched:
            return False
        still_ours = set(
            PlanStep.objects.filter(
                pk__in=watched, status=StepStatus.IN_PROGRESS, plan__status=PlanStatus.EXECUTING
            ).values_list("pk", "attempts")
        )
        signalled = False
        for pk, job in watched.items():
            # Checked after the query: a step this worker finished meanwhile is not a cancel.
            if (pk, job.spec.attempt) in still_ours or job.executed:
                continue
            job.spec.cancelled.set()
            signalled = True
            logger.info("%s was stopped (plan cancelled); telling its executor", job.label)
        return signalled

    # --- Helpers --------------------------------------------------------------------------------

    def _claim(self, step_id: int) -> PlanStep | None:
        try:
            return services.step_start(step_id=step_id, actor=self.actor)
        except PlanStep.DoesNotExist:
            return None  # the plan was deleted since the step was listed

    def _submit(self, step: PlanStep) -> None:
        spec = StepSpec(
            plan_id=str(step.plan_id),
            step_key=step.key,
            task=step.task,
            hint=step.hint,
            params=step.params,
            inputs=selectors.step_inputs(step),
            context=step.context,
            attempt=step.attempts,
            cancelled=threading.Event(),
        )
        job = RunningStep(step_id=step.pk, executor=step.executor, spec=spec)
        # Logged first: once submitted, the step may end (and log so) before this thread goes on.
        logger.info("%s started (attempt %d, %s)", job.label, spec.attempt, step.executor)
        job.future = self._pool.submit(self._run_step, job)
        self.running[step.pk] = job

    def _run_step(self, job: RunningStep) -> None:
        """In a pool thread: run the executor outside any transaction, then record the outcome."""
        started = time.monotonic()
        try:
            outcome = execute(job.executor, job.spec)
            job.executed = True
            accepted = self._record(job, outcome)
            took = time.monotonic() - started
            if not accepted:
                logger.info(
                    "%s: result refused after %.2fs (the step was stopped meanwhile)",
                    job.label,
                    took,
                )
            elif outcome.ok:
                logger.info("%s completed in %.2fs", job.label, took)
            else:
                logger.warning("%s failed in %.2fs: %s", job.label, took, outcome.error)
            if accepted:
                self._log_if_ended(job.spec.plan_id)
        finally:
            # Django opens a connection per thread and only closes them at the end of a request;
            # pool threads have none, so close this one here or it outlives the step.
            connection.close()
            self._wake.set()

    def _record(self, job: RunningStep, outcome: StepOutcome) -> bool:
        try:
            return services.step_finish(
                step_id=job.step_id, attempt=job.spec.attempt, outcome=outcome, actor=self.actor
            )
        except Exception as error:
            if not outcome.ok:
                raise
            # The database would not store the result (not JSON, too large): record that
            # instead, or the step would stay in progress for ever.
            logger.exception("%s: could not store its result", job.label)
            connection.close()
            failure = StepOutcome.failure(
                f"could not store the result: {type(error).__name__}: {error}"
            )
            return services.step_finish(
                step_id=job.step_id, attempt=job.spec.attempt, outcome=failure, actor=self.actor
            )

    def _abandon(self, job: RunningStep) -> None:
        outcome = StepOutcome.failure(STOPPED_ERROR, retryable=True)
        try:
            # Fenced by the attempt like any result: if the step ended meanwhile, nothing changes.
            # Recorded before the executor is told to stop, so that the partial result a
            # cooperative executor returns then is refused rather than taken as the step's.
            recorded = services.step_finish(
                step_id=job.step_id, attempt=job.spec.attempt, outcome=outcome, actor=self.actor
            )
        except Exception:
            logger.exception("%s: could not record it as stopped", job.label)
            recorded = False
        job.spec.cancelled.set()
        if recorded:
            logger.warning("%s still running after %gs: failed", job.label, self.grace_seconds)

    def _log_if_ended(self, plan_id: UUID | str) -> None:
        status = Plan.objects.filter(pk=plan_id).values_list("status", flat=True).first()
        if status in PLAN_TERMINAL:
            logger.info("plan %s %s", plan_id, status)
