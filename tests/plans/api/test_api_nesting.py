"""A body nested deeper than the API takes is refused as such, naming the limit."""

from __future__ import annotations

from plans.api.errors import MAX_JSON_DEPTH
from tests.conftest import ApiClient


def plan_with_params(params: str) -> str:
    step = f'{{"key": "a", "task": "x", "params": {params}}}'
    return f'{{"user_id": "u", "topic_id": "t", "goal": "g", "steps": [{step}]}}'


def test_it_refuses_deeply_nested_brackets_naming_the_limit(api: ApiClient) -> None:
    response = api.post("/plans", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body"]
    assert problem["msg"] == (
        f"body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects"
    )


def test_it_refuses_nesting_just_over_the_limit_inside_params(api: ApiClient) -> None:
    # The body, the steps list, the step and params are four levels already.
    deep = "[" * (MAX_JSON_DEPTH - 3) + "]" * (MAX_JSON_DEPTH - 3)
    response = api.post("/plans", plan_with_params(f'{{"p": {deep}}}'))
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"][0]["msg"]


def test_it_takes_nesting_within_the_limit(api: ApiClient) -> None:
    deep = "[" * (MAX_JSON_DEPTH - 4) + "]" * (MAX_JSON_DEPTH - 4)
    assert api.post("/plans", plan_with_params(f'{{"p": {deep}}}')).status_code == 201
