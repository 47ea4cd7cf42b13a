"""The `llm` planner: an OpenAI-compatible chat completions endpoint, asked for structured JSON.

The model gets the catalog (names, descriptions, input and output schemas), the binding rules,
the goal and what is already known, and answers with a candidate plan in the shape of
CANDIDATE_SCHEMA. Asked to repair, it gets its last candidate back with every problem the
validator found, path by path.

Each call has a timeout and is retried, with backoff, when it times out, cannot connect, is
rate limited (honouring Retry-After) or meets a server error; the circuit breaker around it is
kept by plans/planning/services.py. The API key is sent only in the Authorization header and
never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx

from executors.protocol import Usage
from plans.bindings.flow import MissingInput
from plans.planning.brief import (
    CANDIDATE_SCHEMA,
    BackendUnavailable,
    Brief,
    Candidate,
    Extraction,
)
from plans.validation import Problem

logger = logging.getLogger(__name__)

SYSTEM = """You plan work for a review system. A plan is a list of steps; each step calls one \
action of the catalog below with inputs. An input value is a literal that fits the action's \
input schema, {"$from": "<step key>.result"} or {"$from": "<step key>.result.<field>"} (the \
result of an earlier step, a field of it as the action's output schema names it), or \
{"$input": "<name>"} (a plan input: use it for every value the goal does not give). Bind every \
required input. Use only the actions of the catalog, the simplest plan that reaches the goal, \
and keys that are unique. Answer with JSON only, in the shape of the schema you are given.

Catalog:
"""
MAX_RETRY_AFTER_SECONDS = 30.0


class LlmPlanner:
    name = "llm"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout_seconds: float = 60.0,
        max_attempts: int = 3,
        retry_base_seconds: float = 0.5,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout_seconds
        self.max_attempts = max(1, max_attempts)
        self.retry_base = retry_base_seconds

    def draft(
        self, brief: Brief, *, previous: Candidate | None, problems: Sequence[Problem]
    ) -> Candidate:
        catalog = [
            {
                "name": a.name,
                "description": a.description,
                "input_schema": a.input_schema,
                "output_schema": a.output_schema,
            }
            for a in brief.actions.values()
        ]
        ask = {"goal": brief.goal, "known_inputs": dict(brief.inputs)}
        if brief.instruction:
            ask["instruction"] = brief.instruction
        messages = [
            {"role": "system", "content": SYSTEM + json.dumps(catalog, indent=1)},
            {"role": "user", "content": json.dumps(ask)},
        ]
        if previous is not None:
            messages.append({"role": "assistant", "content": json.dumps(previous.plan)})
            listed = "\n".join(f"- {p.path or '(the answer)'}: {p.msg}" for p in problems)
            messages.append(
                {
                    "role": "user",
                    "content": "The plan has these problems; answer with the whole plan, "
                    f"fixed:\n{listed}",
                }
            )
        content, usage = self.complete(messages, schema=CANDIDATE_SCHEMA, schema_name="plan")
        try:
            plan = json.loads(content)
        except ValueError:
            # Not JSON: a candidate the validator refuses, so the repair asks again.
            return Candidate(plan=content, usage=usage)
        reasoning = plan.get("reasoning", "") if isinstance(plan, dict) else ""
        return Candidate(
            plan=plan, reasoning=reasoning if isinstance(reasoning, str) else "", usage=usage
        )

    def extract(self, missing: Sequence[MissingInput], message: str) -> Extraction:
        schema = {
            "type": "object",
            "properties": {
                "values": {
                    "type": "object",
                    "properties": {m.name: m.schema for m in missing},
                    "additionalProperties": False,
                },
                "notes": {"type": "string"},
            },
            "required": ["values"],
            "additionalProperties": False,
        }
        messages = [
            {
                "role": "system",
                "content": "Read the values of these inputs out of the user's message. Give "
                "only values the message states; leave out the others and say so in notes. "
                "Inputs: " + json.dumps([m.as_json() for m in missing]),
            },
            {"role": "user", "content": message},
        ]
        content, usage = self.complete(messages, schema=schema, schema_name="inputs")
        try:
            answer = json.loads(content)
            values = answer["values"]
            if not isinstance(values, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise BackendUnavailable(
                "the model's answer is not an object with values", counted=False, usage=usage
            ) from None
        notes = answer.get("notes")
        return Extraction(
            values=values, notes=[notes] if isinstance(notes, str) and notes else [], usage=usage
        )

    def complete(
        self, messages: list[dict[str, str]], *, schema: dict[str, Any], schema_name: str
    ) -> tuple[str, Usage]:
        """The content of the model's answer and its usage. Raises BackendUnavailable once the
        attempts are spent or on an answer no retry will change."""
        body = {
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema},
            },
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            wait = self.retry_base * 2 ** (attempt - 1)
            try:
                response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
            except httpx.TimeoutException:
                error = f"the model did not answer within {self.timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"cannot reach the model at {self.url}: {type(exc).__name__}"
            else:
                if response.status_code == 429 or response.status_code >= 500:
                    error = f"the model answered HTTP {response.status_code}"
                    wait = max(wait, retry_after(response))
                elif response.status_code >= 400:
                    raise BackendUnavailable(
                        f"the model refused the request: HTTP {response.status_code} "
                        f"{response.text[:300]}"
                    )
                else:
                    return answer_of(response)
            logger.warning("planner call %d of %d failed: %s", attempt, self.max_attempts, error)
            if attempt < self.max_attempts:
                time.sleep(min(wait, MAX_RETRY_AFTER_SECONDS))
        raise BackendUnavailable(f"{error} ({self.max_attempts} attempts)")


def retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0


def answer_of(response: httpx.Response) -> tuple[str, Usage]:
    try:
        data = response.json()
        content = data["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise TypeError
    except (ValueError, KeyError, IndexError, TypeError):
        raise BackendUnavailable(
            "the model's answer is not a chat completion with a message"
        ) from None
    raw = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    usage = Usage(
        model=str(data.get("model") or ""),
        input_tokens=tokens(raw.get("prompt_tokens")),
        output_tokens=tokens(raw.get("completion_tokens")),
    )
    return content, usage


def tokens(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
