"""The `http` executor: POSTs the step's spec to an allowlisted URL and uses the JSON answer."""

from __future__ import annotations

import asyncio
import json
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx
from django.conf import settings

from executors.protocol import FailureClass, StepOutcome, StepSpec, Usage

# How much of a response body a failure message quotes.
SNIPPET_CHARS = 200
# A 2xx answer carrying this header (value "true") ends its pipeline item's chain.
FINAL_HEADER = "Plangate-Final"
# A 4xx JSON error with this code says the input was too large for the model.
CONTEXT_OVERFLOW_CODE = "context_length_exceeded"


class HttpExecutor:
    """POSTs `spec.as_json()` to params.url and succeeds with the JSON body of a 2xx answer.

    params.url must equal an entry of settings.PLANGATE_HTTP_ALLOWED_URLS exactly. The attempt
    is given min(params.timeout, settings.PLANGATE_HTTP_TIMEOUT_SECONDS, the step's timeout)
    seconds in all; params.timeout is optional. Redirects are not followed. A 2xx answer with
    the header `Plangate-Final: true` ends its pipeline item's chain with its body. A `usage`
    object at the top of a JSON object answer ({"usage": {"model": ..., "input_tokens": ...,
    "output_tokens": ..., "units": {...}, "cost": ...}}) is what the attempt consumed; a
    malformed one is ignored with a warning on the step's event, not a failure.

    The attempt's trace context, when tracing is on, goes along as a W3C `traceparent` header
    (`spec.trace_headers`).

    `run` is `async def`: the worker awaits it on its event loop, and cancels it when the plan is
    cancelled (the request is then abandoned).

    Failure classes:
    - timeout: no complete answer in time. Retried.
    - rate_limited: 429, with `retry_after` from a Retry-After header when it has one. Retried.
    - executor_error: a 5xx, a connection or other transport error, a 2xx body that is not JSON.
      Retried.
    - context_overflow: the input is too large for the model behind the URL: a 413, or any 4xx
      whose JSON body has the error code "context_length_exceeded" (`{"error": {"code": ...}}`
      or `{"code": ...}`). Not retried; an `adjust` recovery recipe can shrink the request.
    - bad_input: params no longer valid (the allowlist is read again at run), any other 4xx, a
      redirect. Not retried: the same request would get the same answer.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """One message per problem: a missing, non-string or unlisted url; a bad timeout."""
        problems = []
        url = params.get("url")
        if url is None:
            problems.append("url is required")
        elif not isinstance(url, str):
            problems.append(f"url must be a string, not {type(url).__name__}")
        elif url not in settings.PLANGATE_HTTP_ALLOWED_URLS:
            problems.append(f"url {url!r} is not in PLANGATE_HTTP_ALLOWED_URLS")
        if "timeout" in params:
            timeout = params["timeout"]
            if (
                isinstance(timeout, bool)
                or not isinstance(timeout, int | float)
                or not timeout > 0  # also refuses NaN
            ):
                problems.append(f"timeout must be a positive number of seconds, not {timeout!r}")
        return problems

    async def run(self, spec: StepSpec) -> StepOutcome:
        """POST the spec and turn the answer into an outcome (see the class docstring).

        Messages name the url and status and quote at most 200 characters of the body.
        """
        # Settings may have changed since the plan was checked, so the allowlist is checked again
        # before anything is sent.
        problems = self.validate_params(spec.params)
        if problems:
            return StepOutcome.failure("http: " + "; ".join(problems), FailureClass.BAD_INPUT)
        url: str = spec.params["url"]
        timeout = _timeout(spec)
        try:
            body = json.dumps(spec.as_json(), allow_nan=False)
        except (TypeError, ValueError) as error:
            return StepOutcome.failure(
                f"http: the step is not JSON: {error}", FailureClass.BAD_INPUT
            )
        try:
            # httpx's timeout bounds each read and write; asyncio.timeout bounds the whole
            # exchange, so a server dripping bytes cannot hold the step past it.
            async with (
                asyncio.timeout(timeout),
                # A client per call: a shared one would keep pooled connections open past the
                # end of the worker's event loop. The costly part, the TLS context, is shared.
                httpx.AsyncClient(
                    timeout=timeout, follow_redirects=False, verify=_ssl_context()
                ) as client,
            ):
                response = await client.post(
                    url,
                    content=body,
                    headers={**spec.trace_headers, "Content-Type": "application/json"},
                )
        except (httpx.TimeoutException, TimeoutError):
            return StepOutcome.failure(
                f"POST {url} timed out after {timeout:g}s", FailureClass.TIMEOUT
            )
        except httpx.UnsupportedProtocol as error:
            return StepOutcome.failure(f"POST {url} failed: {error}", FailureClass.BAD_INPUT)
        except httpx.InvalidURL as error:
            return StepOutcome.failure(f"POST {url} failed: {error}", FailureClass.BAD_INPUT)
        except httpx.HTTPError as error:
            # Transport errors (refused, reset, DNS) and undecodable answers.
            return StepOutcome.failure(f"POST {url} failed: {type(error).__name__}: {error}")
        return _outcome(url, response)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header value, or None when there is none to use.

    Takes both forms: delay-seconds ("120") and an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT",
    counted from `now`, default the current time; a date already past gives 0). Anything else
    (negative or fractional numbers, garbage) gives None.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # "-0000" parses as naive; HTTP-dates are always UTC.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _timeout(spec: StepSpec) -> float:
    limit = float(settings.PLANGATE_HTTP_TIMEOUT_SECONDS)
    timeout = min(float(spec.params.get("timeout", limit)), limit)
    if spec.timeout is not None:
        timeout = min(timeout, spec.timeout)
    return timeout


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds of CPU on the event loop; once will do.
    return httpx.create_ssl_context()


def _outcome(url: str, response: httpx.Response) -> StepOutcome:
    status = response.status_code
    if response.is_success:
        try:
            result = response.json()
        except ValueError:
            return StepOutcome.failure(
                f"POST {url} answered {status} with a body that is not JSON: {_snippet(response)}"
            )
        final = response.headers.get(FINAL_HEADER, "").strip().lower() == "true"
        usage, warning = _usage(result)
        return StepOutcome.success(result, final=final, usage=usage, warning=warning)
    if response.is_redirect:
        location = response.headers.get("Location", "")
        return StepOutcome.failure(
            f"POST {url} answered {status} redirecting to {location!r}; redirects are not followed",
            FailureClass.BAD_INPUT,
        )
    message = f"POST {url} answered {status}: {_snippet(response)}"
    if status == 429:
        return StepOutcome.failure(
            message,
            FailureClass.RATE_LIMITED,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    # A server error may pass; any other status will not change on its own.
    if status >= 500:
        return StepOutcome.failure(message, FailureClass.EXECUTOR_ERROR)
    if status == 413 or _error_code(response) == CONTEXT_OVERFLOW_CODE:
        return StepOutcome.failure(message, FailureClass.CONTEXT_OVERFLOW)
    return StepOutcome.failure(message, FailureClass.BAD_INPUT)


def _error_code(response: httpx.Response) -> str | None:
    """The error code of a JSON error body: {"error": {"code": ...}} or {"code": ...}."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else body.get("code")
    return code if isinstance(code, str) else None


def _usage(body: Any) -> tuple[Usage | None, str]:
    """The `usage` object of a JSON object answer, and a warning instead if it is malformed
    (the step still succeeds: the service did its work, only its bill is unreadable)."""
    if not isinstance(body, dict) or body.get("usage") is None:
        return None, ""
    try:
        return Usage.from_json(body["usage"]), ""
    except ValueError as error:
        return None, f"usage ignored: {error}"


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip()
    if len(text) > SNIPPET_CHARS:
        return text[:SNIPPET_CHARS] + "…"
    return text or "(empty body)"
