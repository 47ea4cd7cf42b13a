"""The async client: the sync one's methods, awaited."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Mapping
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


class AsyncPlangate:
    """`AsyncPlangate("http://127.0.0.1:8000", token="pgt_...")`; use it as an async context
    manager, or await `close()`. Every method raises a `PlangateError` for an error answer."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=c.base_url(url),
            headers=c.headers(token),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncPlangate:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, call: c.Call) -> Any:
        response = await self._http.request(call.method, call.path, **call.send_kwargs())
        return c.checked(response)

    # Plans

    async def submit(self, plan: Mapping[str, Any], *, idempotency_key: str | None = None) -> Plan:
        """Submit a plan (`goal`, `user_id`, `topic_id`, `steps` or `delegation`, ...). With an
        `idempotency_key`, sending it again returns the first answer and creates nothing."""
        result: Plan = await self._call(c.submit(plan, idempotency_key))
        return result

    async def get(self, plan_id: str) -> Plan:
        result: Plan = await self._call(c.get(plan_id))
        return result

    async def list(self, *, limit: int = 50, offset: int = 0, **filters: str) -> PlanPage:
        """Newest first; filters: `status`, `user_id`, `topic_id`."""
        result: PlanPage = await self._call(c.list_plans(limit, offset, filters))
        return result

    async def revise(
        self,
        plan_id: str,
        content: Mapping[str, Any],
        *,
        base_version: int,
        idempotency_key: str | None = None,
    ) -> Revision:
        """Replace a draft's (or a sent-back plan's) steps, title or goal as a new version."""
        result: Revision = await self._call(
            c.revise(plan_id, content, base_version, idempotency_key)
        )
        return result

    async def propose(
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
        result: Plan = await self._call(
            c.propose(goal, user_id, topic_id, inputs, actions, instruction)
        )
        return result

    async def supply_inputs(self, plan_id: str, *, version: int, values: Mapping[str, Any]) -> Plan:
        """Give the plan's missing inputs (its `missing_inputs`); the plan becomes version + 1,
        to review again. `version` is the one you read."""
        result: Plan = await self._call(c.supply_inputs(plan_id, version, values))
        return result

    async def parse_inputs(self, plan_id: str, message: str) -> ParsedInputs:
        """Read the plan's missing inputs out of a person's `message`: the values found, the
        names still missing, and notes. Applies nothing: confirm with supply_inputs."""
        result: ParsedInputs = await self._call(c.parse_inputs(plan_id, message))
        return result

    async def approve(self, plan_id: str, *, version: int) -> Plan:
        """Needs a token with plans:decide; `version` is the one you reviewed."""
        result: Plan = await self._call(c.approve(plan_id, version))
        return result

    async def cancel(self, plan_id: str, *, reason: str = "") -> Plan:
        """Needs a token with plans:decide."""
        result: Plan = await self._call(c.cancel(plan_id, reason))
        return result

    async def events(
        self, plan_id: str, *, after: int = 0, limit: int = 100
    ) -> builtins.list[Event]:
        result: builtins.list[Event] = await self._call(c.events(plan_id, after, limit))
        return result

    # Waiting

    async def wait(
        self, plan_id: str, *, until: Until = "decision", timeout: float = 30
    ) -> WaitResult:
        """One long poll: answers once the plan is decided (or has ended, `until="end"`), or
        after `timeout` seconds (at most the server's cap) with `done` false."""
        result: WaitResult = await self._call(c.wait(plan_id, until, timeout))
        return result

    async def wait_for_decision(self, plan_id: str, *, timeout: float | None = None) -> WaitResult:
        """Long-poll until a reviewer decided (approved, asked for changes, cancelled), or
        `timeout` seconds (None: no limit); `done` says which."""
        return await self._wait_until(plan_id, "decision", timeout)

    async def wait_for_end(self, plan_id: str, *, timeout: float | None = None) -> WaitResult:
        """Long-poll until the plan completed, failed or was cancelled, or `timeout` seconds."""
        return await self._wait_until(plan_id, "end", timeout)

    async def _wait_until(self, plan_id: str, until: Until, timeout: float | None) -> WaitResult:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = c.POLL_SECONDS if deadline is None else deadline - time.monotonic()
            result = await self.wait(
                plan_id, until=until, timeout=min(c.POLL_SECONDS, max(0, left))
            )
            if result["done"] or (deadline is not None and time.monotonic() >= deadline):
                return result

    # Streaming

    async def stream(self, plan_id: str, *, after: int = 0) -> AsyncIterator[Event]:
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
                async with self._http.stream(
                    "GET",
                    f"/plans/{plan_id}/events/stream",
                    headers=c.stream_headers(last),
                    timeout=c.http_timeout(60),
                ) as response:
                    if not response.is_success:
                        await response.aread()
                        raise error_for(response)
                    async for line in response.aiter_lines():
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
            await asyncio.sleep(delay if failures else 0)
