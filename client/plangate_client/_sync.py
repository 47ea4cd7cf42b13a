"""The sync client."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from plangate_client import _common as c
from plangate_client._sse import Parser
from plangate_client.errors import StreamBroken, error_for
from plangate_client.types import (
    Event,
    ParsedInputs,
    Plan,
    PlanPage,
    Revision,
    Until,
    WaitResult,
)


class Plangate:
    """`Plangate("http://127.0.0.1:8000", token="pgt_...")`; use it as a context manager, or
    call `close()`. Every method raises a `PlangateError` subclass for an error answer."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=c.base_url(url),
            headers=c.headers(token),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Plangate:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, call: c.Call) -> Any:
        return c.checked(self._http.request(call.method, call.path, **call.send_kwargs()))

    # Plans

    def submit(self, plan: Mapping[str, Any], *, idempotency_key: str | None = None) -> Plan:
        """Submit a plan (`goal`, `user_id`, `topic_id`, `steps` or `delegation`, ...). With an
        `idempotency_key`, sending it again returns the first answer and creates nothing."""
        result: Plan = self._call(c.submit(plan, idempotency_key))
        return result

    def get(self, plan_id: str) -> Plan:
        result: Plan = self._call(c.get(plan_id))
        return result

    def list(self, *, limit: int = 50, offset: int = 0, **filters: str) -> PlanPage:
        """Newest first; filters: `status`, `user_id`, `topic_id`."""
        result: PlanPage = self._call(c.list_plans(limit, offset, filters))
        return result

    def revise(
        self,
        plan_id: str,
        content: Mapping[str, Any],
        *,
        base_version: int,
        idempotency_key: str | None = None,
    ) -> Revision:
        """Replace a draft's (or a sent-back plan's) steps, title or goal as a new version."""
        result: Revision = self._call(c.revise(plan_id, content, base_version, idempotency_key))
        return result

    def propose(
        self,
        goal: str,
        *,
        user_id: str,
        topic_id: str,
        inputs: Mapping[str, Any] | None = None,
        actions: builtins.list[str] | None = None,
        instruction: str | None = None,
    ) -> Plan:
        """Have the server's planner make a plan for `goal` from the team's actions (all, or
        those named in `actions`), with `inputs` known so far, and submit it as a draft. Raises
        ValidationFailed when no valid plan could be made, Unavailable when the planner cannot
        be reached now."""
        result: Plan = self._call(c.propose(goal, user_id, topic_id, inputs, actions, instruction))
        return result

    def supply_inputs(self, plan_id: str, *, version: int, values: Mapping[str, Any]) -> Plan:
        """Give the plan's missing inputs (its `missing_inputs`); the plan becomes version + 1,
        to review again. `version` is the one you read."""
        result: Plan = self._call(c.supply_inputs(plan_id, version, values))
        return result

    def parse_inputs(self, plan_id: str, message: str) -> ParsedInputs:
        """Read the plan's missing inputs out of a person's `message`: the values found, the
        names still missing, and notes. Applies nothing: confirm with supply_inputs."""
        result: ParsedInputs = self._call(c.parse_inputs(plan_id, message))
        return result

    def approve(self, plan_id: str, *, version: int) -> Plan:
        """Needs a token with plans:decide; `version` is the one you reviewed."""
        result: Plan = self._call(c.approve(plan_id, version))
        return result

    def cancel(self, plan_id: str, *, reason: str = "") -> Plan:
        """Needs a token with plans:decide."""
        result: Plan = self._call(c.cancel(plan_id, reason))
        return result

    def events(self, plan_id: str, *, after: int = 0, limit: int = 100) -> builtins.list[Event]:
        result: builtins.list[Event] = self._call(c.events(plan_id, after, limit))
        return result

    # Waiting

    def wait(self, plan_id: str, *, until: Until = "decision", timeout: float = 30) -> WaitResult:
        """One long poll: answers once the plan is decided (or has ended, `until="end"`), or
        after `timeout` seconds (at most the server's cap) with `done` false."""
        result: WaitResult = self._call(c.wait(plan_id, until, timeout))
        return result

    def wait_for_decision(self, plan_id: str, *, timeout: float | None = None) -> WaitResult:
        """Long-poll until a reviewer decided (approved, asked for changes, cancelled), or
        `timeout` seconds (None: no limit); `done` says which."""
        return self._wait_until(plan_id, "decision", timeout)

    def wait_for_end(self, plan_id: str, *, timeout: float | None = None) -> WaitResult:
        """Long-poll until the plan completed, failed or was cancelled, or `timeout` seconds."""
        return self._wait_until(plan_id, "end", timeout)

    def _wait_until(self, plan_id: str, until: Until, timeout: float | None) -> WaitResult:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = c.POLL_SECONDS if deadline is None else deadline - time.monotonic()
            result = self.wait(plan_id, until=until, timeout=min(c.POLL_SECONDS, max(0, left)))
            if result["done"] or (deadline is not None and time.monotonic() >= deadline):
                return result

    # Streaming

    def stream(self, plan_id: str, *, after: int = 0) -> Iterator[Event]:
        """Every event of the plan after `after`, oldest first, as it happens, until the plan
        has ended. A dropped connection is resumed from the last event received (Last-Event-ID):
        none is lost or repeated. Raises StreamBroken after RECONNECT_ATTEMPTS failed tries in
        a row, and the API's errors (NotFound, Forbidden...) at once."""
        last = after
        failures = 0
        delay = 1.0
        while True:
            parser = Parser()
            try:
                with self._http.stream(
                    "GET",
                    f"/plans/{plan_id}/events/stream",
                    headers=c.stream_headers(last),
                    timeout=c.http_timeout(60),
                ) as response:
                    if not response.is_success:
                        response.read()
                        raise error_for(response)
                    for line in response.iter_lines():
                        message = parser.feed(line)
                        if message is None:
                            continue
                        if message.event == "end":
                            return
                        if message.id is not None:
                            last = int(message.id)
                            failures = 0
                            yield c.event_of(message.data)
            except httpx.TransportError as exc:
                failures += 1
                if failures >= c.RECONNECT_ATTEMPTS:
                    raise StreamBroken(f"gave up after {failures} tries: {exc}") from exc
            delay = parser.retry_seconds or delay
            # Closed without its end (the server's limit, a restart): resume where it stopped.
            time.sleep(delay if failures else 0)
