"""A hook ends its pipeline item's chain by answering with `Plangate-Final: true`."""

from __future__ import annotations

import asyncio

import pytest

from executors.builtin.http import HttpExecutor
from executors.protocol import StepSpec


def post(url: str):
    return asyncio.run(
        HttpExecutor().run(StepSpec(plan_id="p1", step_key="s", task="t", params={"url": url}))
    )


@pytest.mark.parametrize("value", ["true", "True", " TRUE "])
def test_it_marks_the_outcome_final_when_the_answer_says_so(server, value):
    url = server.answer("/done", 200, '{"answer": 42}', **{"Plangate-Final": value})
    outcome = post(url)
    assert outcome.ok
    assert outcome.final
    assert outcome.result == {"answer": 42}


@pytest.mark.parametrize("value", ["false", "1", "yes", ""])
def test_it_does_not_mark_it_final_for_other_values(server, value):
    url = server.answer("/done", 200, '{"answer": 42}', **{"Plangate-Final": value})
    outcome = post(url)
    assert outcome.ok
    assert not outcome.final


def test_it_does_not_mark_a_failure_final(server):
    url = server.answer("/gone", 404, "gone", "text/plain", **{"Plangate-Final": "true"})
    outcome = post(url)
    assert not outcome.ok
    assert not outcome.final
