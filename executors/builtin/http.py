"""The `http` executor: POSTs the step's spec to an allowlisted URL and uses the JSON answer."""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.conf import settings

from executors.protocol import StepOutcome, StepSpec

# How much of a response body a failure message quotes.
SNIPPET_CHARS = 200


class HttpExecutor:
    """POSTs `spec.as_json()` to params.url and succeeds with the JSON body of a 2xx answer.

    params.url must equal an entry of settings.PLANGATE_HTTP_ALLOWED_URLS exactly. params.timeout
    (seconds, optional) is capped at settings.PLANGATE_HTTP_TIMEOUT_SECONDS, which is also the
    default. Redirects are not followed.
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

    def run(self, spec: StepSpec) -> StepOutcome:
        """POST the spec and turn the answer into an outcome.

        Retryable failures: 5xx, 429, timeouts and connection errors. Not retryable: params no
        longer valid (the allowlist is read again), other non-2xx statuses, a 2xx body that is not
        JSON. Messages name the url and status and quote at most 200 characters of the body.
        """
        # Settings may have changed since the plan was checked, so the allowlist is checked again
        # before anything is sent.
        problems = self.validate_params(spec.params)
        if problems:
            return StepOutcome.failure("http: " + "; ".join(problems), retryable=False)
        url: str = spec.params["url"]
        limit = float(settings.PLANGATE_HTTP_TIMEOUT_SECONDS)
        timeout = min(float(spec.params.get("timeout", limit)), limit)
        try:
            body = json.dumps(spec.as_json(), allow_nan=False)
        except (TypeError, ValueError) as error:
            return StepOutcome.failure(f"http: the step is not JSON: {error}", retryable=False)
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                response = client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
        except httpx.TimeoutException:
            return StepOutcome.failure(f"POST {url} timed out after {timeout:g}s", retryable=True)
        except httpx.TransportError as error:
            return StepOutcome.failure(
                f"POST {url} failed: {type(error).__name__}: {error}", retryable=True
            )
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return StepOutcome.failure(
                f"POST {url} failed: {type(error).__name__}: {error}", retryable=False
            )
        return _outcome(url, response)


def _outcome(url: str, response: httpx.Response) -> StepOutcome:
    status = response.status_code
    if response.is_success:
        try:
            return StepOutcome.success(response.json())
        except ValueError:
            return StepOutcome.failure(
                f"POST {url} answered {status} with a body that is not JSON: {_snippet(response)}",
                retryable=False,
            )
    if response.is_redirect:
        location = response.headers.get("Location", "")
        return StepOutcome.failure(
            f"POST {url} answered {status} redirecting to {location!r}; redirects are not followed",
            retryable=False,
        )
    # A server error or rate limit may pass; any other status will not change on its own.
    retryable = status >= 500 or status == 429
    return StepOutcome.failure(
        f"POST {url} answered {status}: {_snippet(response)}", retryable=retryable
    )


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip()
    if len(text) > SNIPPET_CHARS:
        return text[:SNIPPET_CHARS] + "…"
    return text or "(empty body)"
