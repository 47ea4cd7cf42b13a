"""The worker: starts approved plans and runs their ready steps through the executors.

Shaped like healthchecks' `sendalerts`: `run_forever()` calls small methods that each do one unit
of work and return whether there was any, until a stop is asked for (the runworker command's
signal handler sets the flag). Tests call the methods directly.

Threads, and who does what:
- the loop (the thread calling run_forever) does all database work, in short transactions
  through queue.py and plans/services.py: claim steps in batches, record outcomes in
  batches, renew leases, reclaim expired ones, notice cancels;
- async executors run as tasks on one event loop in a background thread; a timeout or a cancel
  cancels the task (which kills a subprocess it started);
- sync executors run each in its own thread; a timeout or a cancel sets `spec.cancelled`, and a
  thread that does not return is abandoned: its slot is freed and its result will be refused;
- on PostgreSQL a listener thread holds a LISTEN connection and wakes the loop when a plan is
  approved, a step becomes ready or a plan is cancelled; polling covers a lost connection. The
  payload says what to do: start a plan, claim steps another worker left (a worker ignores its
  own such notifications), or look at everything;
- on PostgreSQL the chores that touch no running step of this worker (reclaiming expired leases,
  firing decision timers) run on a thread of their own, and notifications are sent by another:
  a chain of steps never waits for them.

Every attempt runs under a lease that the loop renews; if this process dies, other workers
reclaim its steps once the leases expire. A result is recorded only if its attempt is still the
step's current one, so a worker that was cut off cannot overwrite the attempt that replaced it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import psycopg
from django.conf import settings
from django.db import DataError, connection

from executors import registry
from executors.protocol import Executor, FailureClass, StepOutcome, StepSpec
from orchestration.engine import binding, fanout, guarding, outbox, queue, timers
from orchestration.telemetry import hooks as telemetry
from plans import services
from plans.models import PlanStep
from plans.notifications.services import WAKE_PAYLOAD
from plans.states import PlanStatus, StepStatus

logger = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 30.0
# How often running steps are checked for a cancel when no notification says so.
CANCEL_CHECK_SECONDS = 0.25
# How often a busy worker does its housekeeping (leases, cancels, reclaims, approved plans,
# notifications, timers) when no notification asks for it sooner.
HOUSEKEEPING_SECONDS = 0.1
# How often each worker looks for expired leases (with jitter, so workers take turns).
RECLAIM_SECONDS = 1.0
# How often due decision timers (deadlines, reminders) are looked for.
TIMERS_SECONDS = 1.0
# While the LISTEN connection is up, how often a busy worker looks for approved plans, for
# ready steps of other plans (a retry whose time came, a circuit letting a trial through), for
# notifications to send and for cancels of its running steps: approvals, steps left for other
# workers, new messages, cancels and reclaims each send a notification that asks at once, so
# this only covers what no notification announces. Without the connection, every
# HOUSEKEEPING_SECONDS (cancels: CANCEL_CHECK_SECONDS).
LISTENING_POLL_SECONDS = 1.0
# At shutdown, how long stopped async executors get to clean up (the shell executor gives a
# process group 1 s between SIGTERM and SIGKILL).
DRAIN_SECONDS = 3.0


def _close_connection() -> None:
    # Looked up in the calling thread: each thread has its own connection.
    connection.close()


def _session_pid(known: int) -> int:
    """The backend pid of this thread's open PostgreSQL session; `known` if there is none."""
    session = connection.connection if connection.vendor == "postgresql" else None
    return int(session.info.backend_pid) if session is not None else known


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def checked(executor: str, outcome: Any) -> StepOutcome:
    """The executor's outcome if the database can store it, else a failure saying why.

    Error text is cleaned (NUL characters and unpaired surrogates replaced), and a result that is
    not JSON, or holds such characters, fails the attempt: PostgreSQL refuses them, and one
    unstorable outcome must not keep a whole batch of outcomes from being recorded.
    """
    if not isinstance(outcome, StepOutcome):
        return StepOutcome.failure(
            f"executor {executor!r} returned {type(outcome).__name__}, not a StepOutcome",
            FailureClass.EXECUTOR_ERROR,
        )
    if not outcome.ok:
        error = storable_text(outcome.error)
        return outcome if error == outcome.error else replace(outcome, error=error)
    try:
        text = json.dumps(outcome.result, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (TypeError, ValueError) as error:
        return StepOutcome.failure(
            f"executor {executor!r} returned a result that cannot be stored as JSON: "
            f"{storable_text(str(error))}",
            FailureClass.EXECUTOR_ERROR,
        )
    if "\\u0000" in text:
        return StepOutcome.failure(
            f"executor {executor!r} returned a result holding a NUL character",
            FailureClass.EXECUTOR_ERROR,
        )
    return outcome


# NUL, and surrogate code points (in a Python string they are always unpaired).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """`text` with what a database cannot store (NUL, unpaired surrogates) replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def run_sync(executor: Executor, name: str, spec: StepSpec) -> StepOutcome:
    """Run a sync executor. Never raises: an exception becomes an `unknown` failure."""
    try:
        outcome = executor.run(spec)
    except Exception as error:
        return StepOutcome.failure(f"{type(error).__name__}: {error}", FailureClass.UNKNOWN)
    return checked(name, outcome)


async def run_async(executor: Executor, name: str, spec: StepSpec) -> StepOutcome:
    """Await an async executor. Raises only CancelledError (the worker cancelled it)."""
    try:
        outcome = await executor.run(spec)  # type: ignore[misc]
    except Exception as error:
        return StepOutcome.failure(f"{type(error).__name__}: {error}", FailureClass.UNKNOWN)
    return checked(name, outcome)


@dataclass
class Job:
    """A step attempt this worker claimed and runs."""

    claim: queue.Claim
    spec: StepSpec
    deadline: float
    started: float
    future: Future[StepOutcome] = field(repr=False)
    # Set when the outcome is decided without the executor (it timed out).
    outcome: StepOutcome | None = None
    # What the input guardrails found (orchestration/engine/guarding.py).
    screened: guarding.Screened | None = None

    @property
    def label(self) -> str:
        return f"step {self.claim.key!r} of plan {self.claim.plan_id}"

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def decided(self) -> bool:
        return self.outcome is not None or self.future.done()

    def stop(self) -> None:
        """Tell the executor to stop: cancel the task, or set the sync executor's Event."""
        self.spec.cancelled.set()
        self.future.cancel()

    def result(self) -> StepOutcome:
        if self.outcome is not None:
            return self.outcome
        if self.future.cancelled():
            return StepOutcome.failure("the step was stopped", FailureClass.CANCELLED)
        return self.future.result()


class Listener(threading.Thread):
    """Holds a LISTEN connection to PostgreSQL and calls `on_notify` with the payload of each
    notification and the backend pid of the session that sent it, and with (None, 0) once after
    every (re)connection, since notifications sent meanwhile were lost."""

    def __init__(self, on_notify: Callable[[str | None, int], None]) -> None:
        super().__init__(name="plangate-listen", daemon=True)
        self.on_notify = on_notify
        self.connected = threading.Event()
        self._stopping = threading.Event()

    def run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                with psycopg.connect(**_libpq_params(), autocommit=True) as conn:
                    conn.execute(f"LISTEN {services.NOTIFY_CHANNEL}")
                    self.connected.set()
                    backoff = 0.1
                    self.on_notify(None, 0)
                    while not self._stopping.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self.on_notify(notify.payload, notify.pid)
            except psycopg.Error as error:
                self.connected.clear()
                if self._stopping.is_set():
                    break
                logger.warning("worker: LISTEN connection lost (%s); polling until back", error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self.connected.clear()

    def stop(self) -> None:
        self._stopping.set()


# Django's own OPTIONS for its PostgreSQL backend; every other one is a libpq parameter.
_DJANGO_ONLY_OPTIONS = {
    "isolation_level",
    "pool",
    "server_side_binding",
    "assume_role",
    "cursor_factory",
    "prepare_threshold",
    "context",
}


def _libpq_params() -> dict[str, Any]:
    """Connection parameters for the LISTEN connection: the same database, user and libpq
    options (SSL files, service, passfile...) as Django's own connections."""
    db = connection.settings_dict
    params = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"],
        "port": db["PORT"],
        "connect_timeout": 5,
    }
    options = db.get("OPTIONS", {})
    params |= {k: v for k, v in options.items() if k not in _DJANGO_ONLY_OPTIONS}
    return {k: v for k, v in params.items() if v not in ("", None)}


class Worker:
    """Runs approved plans step by step, up to `concurrency` steps at once."""

    def __init__(
        self,
        *,
        name: str | None = None,
        concurrency: int | None = None,
        poll_seconds: float | None = None,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        lease_seconds: float | None = None,
        listen: bool = True,
    ) -> None:
        self.name = name or default_name()
        self.actor = services.Actor.worker(self.name)
        self.concurrency = (
            settings.PLANGATE_WORKER_CONCURRENCY if concurrency is None else concurrency
        )
        self.poll_seconds = (
            settings.PLANGATE_WORKER_POLL_SECONDS if poll_seconds is None else poll_seconds
        )
        self.lease_seconds = (
            settings.PLANGATE_LEASE_SECONDS if lease_seconds is None else lease_seconds
        )
        if (
            self.concurrency < 1
            or self.poll_seconds <= 0
            or grace_seconds < 0
            or self.lease_seconds <= 0
        ):
            raise ValueError(
                "concurrency must be at least 1, poll and lease positive, grace not negative"
            )
        self.grace_seconds = grace_seconds
        # Claimed attempts by step id, until their outcome is recorded (or refused). Only the
        # loop's thread reads or changes it.
        self.running: dict[int, Job] = {}
        # Jobs still running when the grace period ended, released to other workers.
        self.abandoned: list[Job] = []
        self.stopping = False
        # Set by stop(), by finished executors and by notifications, so an idle loop wakes.
        self._wake = threading.Event()
        # Set by notifications: check running steps for a cancel now.
        self._notified = threading.Event()
        # Set by notifications: do the housekeeping in the next round (a plan may have been
        # approved), however busy the hot path is.
        self._announced = threading.Event()
        # Set by notifications of new messages in the outbox: send them in the next round.
        self._outbox = threading.Event()
        # Set by notifications of an approval: start approved plans in the next round (and only
        # that: the start claims the plan's first steps, and an approval cancels nothing).
        self._approved = threading.Event()
        # Set by notifications of steps another worker left ready: claim them in the next round.
        self._ready = threading.Event()
        # The backend pid of the loop thread's database session, which sends this worker's own
        # notifications of ready steps (it has claimed what it could of them already).
        self._own_pid = 0
        self._closed = False
        # The event loop for async executors, started with the first of them.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self.listener: Listener | None = None
        # Notifications are sent by one thread of their own (orchestration/engine/outbox.py): a
        # slow webhook must not hold up this loop, which renews the leases of running steps.
        self._sender: ThreadPoolExecutor | None = None
        # The sender's current round; its result is how many messages it attempted.
        self.sending: Future[int] | None = None
        # Reclaims and timers (tidy()), on PostgreSQL on a thread of their own; its current
        # round.
        self._tidier: ThreadPoolExecutor | None = None
        self.tidying: Future[bool] | None = None
        if listen and connection.vendor == "postgresql":
            self.listener = Listener(self._on_notify)
            self.listener.start()
        now = time.monotonic()
        self._next_heartbeat = now + self.lease_seconds / 3
        self._next_reclaim = now + random.uniform(0, RECLAIM_SECONDS)  # noqa: S311
        self._next_cancel_check = now
        self._next_housekeeping = now
        self._next_timers = now
        self._next_poll = now
        self._more_to_send = False
        self._dispatch_owed = False
        self._expanded = False

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
        ready, waiting for a retry, or running. Otherwise an error in one round (the database
        went away) is logged and the loop goes on; outcomes not yet recorded are kept.
        """
        logger.info(
            "worker %s started: %d slot(s), lease %gs, %s",
            self.name,
            self.concurrency,
            self.lease_seconds,
            "woken by LISTEN/NOTIFY" if self.listener else f"polling every {self.poll_seconds}s",
        )
        try:
            self.warm_up()
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
                    # The error may have come from a broken connection (a database restart, a
                    # terminated backend); the next query opens a new one.
                    connection.close()
                    worked = False
                    self._wake.wait(min(self.poll_seconds, 1.0))
                    continue
                if worked:
                    continue
                if once and not self.running and not self._work_remaining():
                    break
                self._wake.wait(self._idle_timeout())
            if self.stopping:
                logger.info("worker %s stopping", self.name)
        finally:
            self.shutdown()
        logger.info("worker %s stopped", self.name)

    def warm_up(self) -> None:
        """Before the first round, pay what a worker's first step would otherwise pay: the hot
        path's statements run once on this thread's session (orchestration/engine/queue.py:
        warm_up), the event loop for async executors started, and the first rounds of the
        notification sender and the tidier (each connecting to the database) done. Never
        raises: each of these happens later anyway."""
        try:
            queue.warm_up(worker=self.name, actor=self.actor, lease_seconds=self.lease_seconds)
            self._event_loop()
            self.deliver_notifications()
            self.tidy()
            for round_ in (self.sending, self.tidying):
                if round_ is not None:
                    round_.result(timeout=10)
        except Exception:
            logger.warning("worker %s: warming up failed; going on", self.name, exc_info=True)
            connection.close()

    def run_once(self) -> bool:
        """One round of work. True if anything happened.

        The hot path (timeouts, recording outcomes and claiming in the same transaction the
        steps they let go) runs every round. Housekeeping (leases, cancels, reclaims, starting
        approved plans, notifications, timers) runs when a notification came, every
        HOUSEKEEPING_SECONDS while steps run (each of its units when it is due), and in every
        round of a worker that runs nothing. Claiming for free slots runs when housekeeping
        polled, and after outcomes that freed slots the finish did not fill. A worker running
        a chain of cheap steps pays for neither at every hop, and an idle one misses nothing.
        """
        self._expanded = False
        self._own_pid = _session_pid(self._own_pid)
        if self._ready.is_set():
            self._ready.clear()
            self._dispatch_owed = True
        timed_out = self.enforce_timeouts()
        recorded = self.reap_finished()
        busy = timed_out or recorded
        idle = not (busy or self.running)
        due = (
            time.monotonic() >= self._next_housekeeping
            or self._announced.is_set()
            or self._approved.is_set()
            or self._outbox.is_set()
        )
        housekept = dispatched = False
        if due or idle:
            housekept = self.housekeep()
        if self._expanded:
            self._dispatch_owed = True
        elif self._dispatch_owed or (idle and not self.running):
            # An idle worker looks every round, unless housekeeping just gave it steps (an
            # approved plan's start claims them): then only when a look is owed.
            dispatched = self.dispatch_ready_steps()
        return busy or housekept or dispatched

    def housekeep(self) -> bool:
        """Every unit of work off the hot path, each when it is due. True if any of them did
        something."""
        announced = self._announced.is_set()
        self._announced.clear()
        approved = self._approved.is_set()
        self._approved.clear()
        outbox = self._outbox.is_set()
        self._outbox.clear()
        now = time.monotonic()
        self._next_housekeeping = now + HOUSEKEEPING_SECONDS
        # What a notification announces is looked for when one came, else now and then (every
        # round without a LISTEN connection to hear them by).
        timely = not self._listening() or now >= self._next_poll
        polled = announced or timely
        started = notified = False
        if timely:
            self._next_poll = now + LISTENING_POLL_SECONDS
        if polled or approved:
            # Approved plans first: a reviewer is waiting to see the plan start.
            started = self.start_approved_plans()
        if polled:
            # Ready steps of other plans: claimed in this round.
            self._dispatch_owed = True
        self.heartbeat()
        signalled = self.signal_cancelled_steps()
        tidied = self.tidy()
        if timely or outbox or self._more_to_send:
            # Until a round finds nothing to send, the next one starts as soon as it ends.
            notified = self._more_to_send = self.deliver_notifications()
        telemetry.plans_ended()
        return signalled or started or notified or tidied

    def _listening(self) -> bool:
        return self.listener is not None and self.listener.connected.is_set()

    def tidy(self) -> bool:
        """Put back steps whose leases expired and fire due decision timers, each on its own
        timer. On PostgreSQL a round runs on a thread of its own, with its own connection (True
        if the round before did something); on SQLite, whose one writer would only make the
        threads wait for each other, here (True if it did something)."""
        if self.stopping:
            return False
        now = time.monotonic()
        if now < self._next_reclaim and now < self._next_timers:
            return False
        # This worker's running steps, as they are now: their leases are its own to renew.
        keep = list(self.running)
        if connection.vendor != "postgresql":
            return self._tidy_round(keep)
        previous = self.tidying
        if previous is not None and not previous.done():
            return False
        if self._tidier is None:
            self._tidier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tidy")
        self.tidying = self._tidier.submit(self._tidy_in_background, keep)
        return previous is not None and previous.result()

    def _tidy_round(self, keep: list[int]) -> bool:
        reclaimed = self.reclaim_expired(keep=keep)
        fired = False
        if time.monotonic() >= self._next_timers:
            self._next_timers = time.monotonic() + TIMERS_SECONDS
            fired = self.fire_due_timers()
        return reclaimed or fired

    def _tidy_in_background(self, keep: list[int]) -> bool:
        # On the tidier thread. Never raises: a round that fails (the database went away) is
        # logged and the next one tries again.
        try:
            return self._tidy_round(keep)
        except Exception:
            logger.exception("worker %s: could not reclaim leases or fire timers", self.name)
            connection.close()
            return False

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
        """Stop claiming; wait up to the grace period for running steps and record them; then
        stop the rest and release their leases so other workers take them at once. Idempotent.

        Released jobs are listed in `abandoned`: a sync executor's thread cannot be killed, so
        the caller decides whether to wait for it (the runworker command exits instead).
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
        while self.running and time.monotonic() < deadline:
            self._wake.clear()
            try:
                self.enforce_timeouts()
                self.reap_finished()
                self.heartbeat()
                # A plan cancelled during the grace period still stops its steps early.
                self.signal_cancelled_steps()
            except Exception:
                logger.exception("worker %s: could not record while stopping", self.name)
                connection.close()
            if self.running:
                self._wake.wait(min(self.poll_seconds, max(deadline - time.monotonic(), 0)))
        self._release_remaining()
        self._stop_threads()
        if self.listener:
            self.listener.stop()
        if self._loop is not None and self._loop_thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(timeout=5)
            if not self._loop_thread.is_alive():
                self._loop.close()
        # This thread's connection; worker threads never open one.
        connection.close()

    # --- Units of work --------------------------------------------------------------------------

    def start_approved_plans(self) -> bool:
        """Move approved plans to executing, oldest approval first, each claiming its first
        steps for this worker's free slots in the same transaction. True if this worker started
        any."""
        if self.stopping:
            return False
        started = False
        # At most a hundred per round, so that running steps are not kept waiting.
        for _ in range(100):
            free = self.concurrency - len(self.running)
            began = time.monotonic()
            done = queue.plan_start_next(
                actor=self.actor, slots=queue.Slots(self.name, free, self.lease_seconds)
            )
            if done is None:
                break
            started = True
            logger.info("plan %s started", done.plan.pk)
            if done.claims:
                telemetry.steps_claimed(done.claims, seconds=time.monotonic() - began)
                self._start_claims(done.claims)
            if not done.more:
                break
        return started

    def fire_due_timers(self) -> bool:
        """Act on decision deadlines and reminders that are due (orchestration/engine/timers.py).
        True if any fired."""
        if self.stopping:
            return False
        return timers.timers_fire_due() > 0

    def dispatch_ready_steps(self) -> bool:
        """Claim as many ready steps as there are free slots, in one statement, and start them.
        True if any."""
        self._dispatch_owed = False
        self._expanded = False
        free = self.concurrency - len(self.running)
        if self.stopping or free <= 0:
            return False
        began = time.monotonic()
        claims = queue.steps_claim(
            worker=self.name, actor=self.actor, limit=free, lease_seconds=self.lease_seconds
        )
        telemetry.steps_claimed(claims, seconds=time.monotonic() - began)
        for claim in claims:
            self._start(claim)
        return bool(claims)

    def deliver_notifications(self) -> bool:
        """Start a round of notification delivery on the sender thread, unless one is still
        running. True if the round that just ended attempted any (there may be more)."""
        if self.stopping:
            return False
        previous = self.sending
        if previous is not None and not previous.done():
            return False
        if self._sender is None:
            self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")
        self.sending = self._sender.submit(self._send_notifications)
        return previous is not None and previous.result() > 0

    def _send_notifications(self) -> int:
        # On the sender thread, with its own database connection. Never raises: a round that
        # fails (the database went away) is logged and the next one tries again.
        try:
            return outbox.messages_deliver(worker=self.name)
        except Exception:
            logger.exception("worker %s: could not deliver notifications", self.name)
            connection.close()
            return 0

    def _stop_threads(self) -> None:
        """Stop the notification sender and the tidier. The round in progress on each ends by
        itself (each send has its timeout, a tidy round is a few statements); then the thread's
        connection is closed, as every connection this worker opened is."""
        for pool in (self._sender, self._tidier):
            if pool is not None:
                pool.submit(_close_connection).result()
                pool.shutdown()
        self._sender = self._tidier = None

    def enforce_timeouts(self) -> bool:
        """Give up on attempts past their timeout: stop them and record a timeout. True if any."""
        now = time.monotonic()
        late = [job for job in self.running.values() if not job.decided and now >= job.deadline]
        for job in late:
            job.outcome = StepOutcome.failure(
                f"timed out after {job.claim.timeout:g}s", FailureClass.TIMEOUT
            )
            job.stop()
            logger.warning("%s timed out after %gs; abandoned", job.label, job.claim.timeout)
        return bool(late)

    def reap_finished(self) -> bool:
        """Record the outcomes of finished attempts, all in one transaction. True if any.

        If the database is unavailable the outcomes stay here, leases still renewed, and are
        recorded in a later round.
        """
        done = [job for job in self.running.values() if job.decided]
        if not done:
            return False
        # The output guardrails and quality gate decide what a success records.
        reports = [guarding.report(job.claim, job.result(), job.screened) for job in done]
        # The slots these outcomes free, and any others: the steps the outcomes let go are
        # claimed in the same transaction, so the next step of a chain starts at once.
        free = 0 if self.stopping else self.concurrency - len(self.running) + len(done)
        claims: list[queue.Claim] = []
        began = time.monotonic()
        # Unless the finish took care of it, claim from other plans in this round too.
        self._dispatch_owed = True
        try:
            finished = queue.steps_finish_and_claim(
                reports=reports,
                actor=self.actor,
                slots=queue.Slots(self.name, free, self.lease_seconds),
            )
            accepted, claims = finished.accepted, finished.claims
            self._dispatch_owed = not finished.settled
        except DataError:
            # The database refused something in one of the outcomes (checked() should have
            # caught it): record them one by one, so that one bad outcome cannot hold back the
            # others round after round.
            logger.exception("worker %s: a batch of outcomes was refused; one by one", self.name)
            accepted = self._finish_one_by_one(reports)
        for job, report in zip(done, reports, strict=True):
            del self.running[job.claim.id]
            took = time.monotonic() - job.started
            outcome = report.outcome
            telemetry.attempt_ended(
                job.claim, outcome, recorded=job.claim.id in accepted, seconds=took
            )
            if job.claim.id not in accepted:
                logger.info("%s: result refused after %.2fs (the step moved on)", job.label, took)
                continue
            if outcome.ok:
                # Every step's start and end are in its plan's event log; here only at DEBUG, so
                # that a worker running thousands of steps a second does not spend its time
                # writing log lines.
                logger.debug("%s completed in %.2fs", job.label, took)
            else:
                logger.warning(
                    "%s failed in %.2fs (%s, attempt %d of %d): %s",
                    job.label,
                    took,
                    outcome.failure_class,
                    job.claim.attempt,
                    job.claim.max_attempts,
                    outcome.error,
                )
        if claims:
            telemetry.steps_claimed(claims, seconds=time.monotonic() - began)
            self._start_claims(claims)
        return True

    def _start_claims(self, claims: list[queue.Claim]) -> None:
        """Start steps claimed along with other work (an outcome recorded, a plan started)."""
        for claim in claims:
            if claim.for_each is not None and claim.parent_id is None:
                # A fan-out step makes its items now: they are claimed in the next round, as
                # they would be had the step been claimed by dispatch_ready_steps().
                self._expanded = True
            self._start(claim)

    def _finish_one_by_one(self, reports: list[queue.Report]) -> set[int]:
        accepted: set[int] = set()
        for report in reports:
            try:
                accepted |= queue.steps_finish(reports=[report], actor=self.actor)
            except DataError as error:
                failure = StepOutcome.failure(
                    f"the outcome could not be stored: {storable_text(str(error))[:500]}",
                    FailureClass.EXECUTOR_ERROR,
                )
                accepted |= queue.steps_finish(
                    reports=[queue.Report(claim=report.claim, outcome=failure)], actor=self.actor
                )
        return accepted

    def heartbeat(self, *, force: bool = False) -> None:
        """Renew the leases of this worker's running steps, every third of a lease."""
        now = time.monotonic()
        if not self.running or (now < self._next_heartbeat and not force):
            return
        queue.steps_heartbeat(
            worker=self.name, step_ids=list(self.running), lease_seconds=self.lease_seconds
        )
        # Only once renewed: after a failure (the database away) the next round tries again.
        self._next_heartbeat = now + self.lease_seconds / 3

    def signal_cancelled_steps(self) -> bool:
        """Stop running attempts that are no longer this worker's: their plan was cancelled, or
        their lease expired and the step was reclaimed. Checked at once when notified, else every
        CANCEL_CHECK_SECONDS (LISTENING_POLL_SECONDS while the LISTEN connection is up: a cancel
        and a reclaim each send a notification). True if any was stopped."""
        now = time.monotonic()
        if not self.running:
            # Nothing to stop. Steps claimed from now on are checked a full interval after
            # they start, or when a notification comes: one claimed now was not cancelled
            # before its claim.
            self._notified.clear()
            self._next_cancel_check = now + self._cancel_check_interval()
            return False
        if now < self._next_cancel_check and not self._notified.is_set():
            return False
        self._notified.clear()
        self._next_cancel_check = now + self._cancel_check_interval()
        attempts = {pk: job.claim.attempt for pk, job in self.running.items()}
        owned = queue.steps_still_owned(worker=self.name, attempts=attempts)
        lost = [job for pk, job in self.running.items() if pk not in owned]
        for job in lost:
            del self.running[job.claim.id]
            job.stop()
            telemetry.attempt_ended(job.claim, None, recorded=False, seconds=job.elapsed)
            logger.info("%s was stopped (plan cancelled or step reclaimed)", job.label)
        return bool(lost)

    def _cancel_check_interval(self) -> float:
        return LISTENING_POLL_SECONDS if self._listening() else CANCEL_CHECK_SECONDS

    def reclaim_expired(self, *, keep: list[int] | None = None) -> bool:
        """Every RECLAIM_SECONDS or so, put steps whose worker died back in the queue. True if
        any. `keep`: this worker's running steps (read from `running` if not given)."""
        now = time.monotonic()
        if now < self._next_reclaim:
            return False
        self._next_reclaim = now + RECLAIM_SECONDS * random.uniform(0.5, 1.0)  # noqa: S311
        # Not this worker's own running steps: if their leases lapsed (the database was away
        # longer than a lease, the machine was suspended) they are still running here, and the
        # next heartbeat renews them unless another worker has taken them meanwhile.
        done = queue.steps_reclaim_expired(
            actor=self.actor, keep=list(self.running) if keep is None else keep
        )
        for key, what in done:
            logger.warning("step %r: lease expired; %s", key, what)
        return bool(done)

    # --- Helpers --------------------------------------------------------------------------------

    def _start(self, claim: queue.Claim) -> None:
        previous = self.running.pop(claim.id, None)
        if previous is not None:
            # This worker's earlier attempt lost the step (its lease lapsed and the step came
            # back round); the new attempt replaces it.
            previous.stop()
            telemetry.attempt_ended(previous.claim, None, recorded=False, seconds=previous.elapsed)
            logger.warning("%s: attempt %d replaced", previous.label, previous.claim.attempt)
        if claim.for_each is not None and claim.parent_id is None:
            self._expand(claim)
            return
        spec = StepSpec(
            plan_id=str(claim.plan_id),
            step_key=claim.key,
            task=claim.task,
            hint=claim.hint,
            params=claim.params,
            inputs=claim.inputs,
            context=claim.context,
            attempt=claim.attempt,
            timeout=claim.timeout,
            trace_headers=telemetry.attempt_started(claim),
        )
        # An action step's `$from` inputs take their values here (a bad one never runs).
        spec, unbound = binding.bind(claim, spec)
        screened = guarding.screen_input(claim, spec)
        blocked = unbound or guarding.blocked_input(screened)
        future: Future[StepOutcome]
        try:
            executor = registry.get(claim.executor)
        except Exception as error:
            future = Future()
            future.set_result(StepOutcome.failure(str(error), FailureClass.BAD_INPUT))
        else:
            if blocked is not None:
                # A blocked input never reaches the executor.
                future = Future()
                future.set_result(blocked)
            elif inspect.iscoroutinefunction(executor.run):
                future = asyncio.run_coroutine_threadsafe(
                    run_async(executor, claim.executor, spec), self._event_loop()
                )
            else:
                future = Future()
                threading.Thread(
                    target=self._run_in_thread,
                    args=(executor, claim.executor, spec, future),
                    name=f"plangate-step-{claim.id}",
                    daemon=True,
                ).start()
        now = time.monotonic()
        job = Job(claim=claim, spec=spec, deadline=now + claim.timeout, started=now, future=future)
        job.screened = screened
        self.running[claim.id] = job
        future.add_done_callback(self._on_done)
        logger.debug("%s started (attempt %d, %s)", job.label, claim.attempt, claim.executor)

    def _expand(self, claim: queue.Claim) -> None:
        """A fan-out step runs no executor: it becomes one step per item and stage
        (fanout.py), which are claimed and run like any other. Over an empty list, or one
        it cannot use, it ends at once, recorded like any outcome."""
        try:
            outcome = fanout.step_expand(claim=claim, actor=self.actor)
            if outcome is not None:
                queue.steps_finish(
                    reports=[queue.Report(claim=claim, outcome=outcome)], actor=self.actor
                )
        except Exception:
            # The step keeps its lease until it expires; then it is reclaimed and tried again.
            logger.exception("step %r of plan %s: could not fan out", claim.key, claim.plan_id)
            connection.close()
            return
        if outcome is None:
            logger.info("step %r of plan %s fanned out", claim.key, claim.plan_id)
        else:
            logger.info(
                "step %r of plan %s had nothing to fan out: %s",
                claim.key,
                claim.plan_id,
                outcome.error or "an empty list",
            )

    def _drain_event_loop(self, timeout: float) -> None:
        """Wait up to `timeout` for the tasks on the event loop to end."""
        if self._loop is None or not self._loop.is_running():
            return

        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        try:
            asyncio.run_coroutine_threadsafe(drain(), self._loop).result(timeout + 1)
        except Exception:
            logger.warning("worker %s: async steps still stopping", self.name, exc_info=True)

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(
                target=self._loop.run_forever, name="plangate-async", daemon=True
            )
            self._loop_thread.start()
        return self._loop

    @staticmethod
    def _run_in_thread(
        executor: Executor, name: str, spec: StepSpec, future: Future[StepOutcome]
    ) -> None:
        if future.set_running_or_notify_cancel():
            future.set_result(run_sync(executor, name, spec))

    def _on_done(self, _: Future[StepOutcome]) -> None:
        self._wake.set()

    def _on_notify(self, payload: str | None, pid: int = 0) -> None:
        if payload == services.READY_PAYLOAD:
            if pid == self._own_pid:
                # This worker's own: the round that sent it owes a claim already.
                return
            self._ready.set()
        elif payload == services.APPROVED_PAYLOAD:
            self._approved.set()
        elif payload != WAKE_PAYLOAD:
            # Work: steps left for other workers, a cancel, a reclaim, a plan resumed.
            self._notified.set()
            self._announced.set()
        if payload in (WAKE_PAYLOAD, None):
            # Messages to send.
            self._outbox.set()
        self._wake.set()

    def _idle_timeout(self) -> float:
        timeout = self.poll_seconds
        if self.running:
            now = time.monotonic()
            nearest = min(job.deadline for job in self.running.values())
            timeout = min(
                timeout,
                max(nearest - now, 0.001),
                max(self._next_heartbeat - now, 0.001),
                max(self._next_housekeeping - now, 0.001),
                CANCEL_CHECK_SECONDS,
            )
        return timeout

    def _work_remaining(self) -> bool:
        # Steps waiting for a retry, or held by another worker, or items of a fan-out.
        return PlanStep.objects.filter(
            status__in=[StepStatus.PENDING, StepStatus.IN_PROGRESS],
            plan__status=PlanStatus.EXECUTING,
        ).exists()

    def _release_remaining(self) -> None:
        if not self.running:
            return
        try:
            self.reap_finished()
        except Exception:
            logger.exception("worker %s: could not record finished steps", self.name)
            connection.close()
        jobs = list(self.running.values())
        for job in jobs:
            job.stop()
            telemetry.attempt_ended(job.claim, None, recorded=False, seconds=job.elapsed)
        # Cancelled async executors clean up on the loop (the shell executor terminates, then
        # kills, its process group): let them, before the steps go to other workers.
        self._drain_event_loop(DRAIN_SECONDS)
        attempts = {job.claim.id: job.claim.attempt for job in jobs}
        try:
            released = queue.steps_release(worker=self.name, actor=self.actor, attempts=attempts)
        except Exception:
            logger.exception(
                "worker %s: could not release %d step(s); they go to other workers when their "
                "leases expire",
                self.name,
                len(jobs),
            )
            released = []
        for key in released:
            logger.warning(
                "step %r still running after %gs: released to other workers",
                key,
                self.grace_seconds,
            )
        self.abandoned = [job for job in jobs if not job.future.done()]
        self.running.clear()
