"""The combine operators and the combine executor; pure, no database."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from executors.builtin.combine import OPERATORS, CombineError, CombineExecutor, combine
from executors.protocol import FailureClass, StepOutcome, StepSpec


def iv(group: str, start: float, end: float) -> dict[str, Any]:
    return {"group": group, "start": start, "end": end}


def spec(params: dict[str, Any], inputs: dict[str, Any], **context: Any) -> StepSpec:
    return StepSpec(
        plan_id="p1", step_key="plan.combine", task="combine", params=params, inputs=inputs,
        context=context,
    )  # fmt: skip


def run(step: StepSpec) -> StepOutcome:
    return asyncio.run(CombineExecutor().run(step))


# Operators


def test_operators__are_the_five():
    assert OPERATORS == ("UNION", "INTERSECT", "MINUS", "RMINUS", "COLOCATE")


def test_union__keeps_left_then_right_order_and_drops_duplicates():
    assert combine("UNION", [3, 1, 3, 2], [2, 4, 1, 5, 4]) == [3, 1, 2, 4, 5]


def test_intersect__keeps_left_order_and_drops_duplicates():
    assert combine("INTERSECT", [5, 1, 2, 1, 3], [3, 1, 9, 5]) == [5, 1, 3]


def test_minus__is_left_without_right():
    assert combine("MINUS", [4, 1, 2, 4, 3], [2, 9]) == [4, 1, 3]


def test_rminus__is_right_without_left_in_right_order():
    assert combine("RMINUS", [2, 9], [4, 1, 2, 4, 3]) == [4, 1, 3]


def test_union__of_empty_lists_is_empty():
    assert combine("UNION", [], []) == []


def test_it_compares_dict_items_by_content_whatever_the_key_order():
    left = [{"a": 1, "b": [1, 2]}, {"a": 2}]
    right = [{"b": [1, 2], "a": 1}, {"a": 3}]
    assert combine("UNION", left, right) == [{"a": 1, "b": [1, 2]}, {"a": 2}, {"a": 3}]
    assert combine("INTERSECT", left, right) == [{"a": 1, "b": [1, 2]}]
    assert combine("MINUS", left, right) == [{"a": 2}]
    assert combine("RMINUS", left, right) == [{"a": 3}]


def test_it_tells_items_of_different_json_types_apart():
    assert combine("UNION", [1, "1", [1], None], [True, 1, {"1": 1}]) == [
        1, "1", [1], None, True, {"1": 1},
    ]  # fmt: skip


def test_it_does_not_change_its_operands():
    left, right = [1, 1, 2], [2, 3]
    combine("UNION", left, right)
    assert (left, right) == ([1, 1, 2], [2, 3])


# COLOCATE


def test_colocate__keeps_left_items_overlapping_a_right_item_of_the_same_group():
    left = [iv("chr1", 10, 20), iv("chr1", 30, 40), iv("chr2", 10, 20)]
    right = [iv("chr1", 15, 35)]
    assert combine("COLOCATE", left, right) == [iv("chr1", 10, 20), iv("chr1", 30, 40)]


def test_colocate__counts_an_interval_inside_another_as_overlapping():
    assert combine("COLOCATE", [iv("g", 0, 100)], [iv("g", 40, 41)]) == [iv("g", 0, 100)]


def test_colocate__counts_touching_intervals_as_distance_zero():
    assert combine("COLOCATE", [iv("g", 0, 10)], [iv("g", 10, 20)]) == [iv("g", 0, 10)]


def test_colocate__leaves_out_a_gap_at_distance_zero():
    assert combine("COLOCATE", [iv("g", 0, 10)], [iv("g", 11, 20)]) == []


def test_colocate__keeps_a_gap_within_the_distance_on_either_side():
    left = [iv("g", 0, 10), iv("g", 30, 40)]
    right = [iv("g", 15, 25)]
    assert combine("COLOCATE", left, right, distance=5) == left


def test_colocate__leaves_out_a_gap_beyond_the_distance():
    left = [iv("g", 0, 10), iv("g", 31, 40)]
    right = [iv("g", 15, 25)]
    assert combine("COLOCATE", left, right, distance=5) == [iv("g", 0, 10)]


def test_colocate__ignores_right_items_of_other_groups():
    assert combine("COLOCATE", [iv("a", 0, 10)], [iv("b", 0, 10)], distance=100) == []


def test_colocate__keeps_left_order_and_drops_duplicates():
    left = [iv("g", 50, 60), iv("g", 0, 1), iv("g", 50, 60)]
    right = [iv("g", 0, 100)]
    assert combine("COLOCATE", left, right) == [iv("g", 50, 60), iv("g", 0, 1)]


def test_colocate__keeps_extra_fields_of_left_items():
    item = {**iv("g", 1, 2), "name": "x"}
    assert combine("COLOCATE", [item], [iv("g", 0, 5)]) == [item]


def test_colocate__accepts_points_and_float_bounds():
    assert combine("COLOCATE", [iv("g", 2.5, 2.5)], [iv("g", 3, 4)], distance=0.5) == [
        iv("g", 2.5, 2.5)
    ]


# Errors


def test_combine__refuses_an_unknown_operator_naming_the_five():
    with pytest.raises(CombineError) as caught:
        combine("XOR", [], [])
    message = str(caught.value)
    assert "'XOR'" in message
    for operator in OPERATORS:
        assert operator in message


def test_combine__refuses_a_lowercase_operator():
    with pytest.raises(CombineError, match="unknown operator 'union'"):
        combine("union", [], [])


@pytest.mark.parametrize(
    ("left", "right", "message"),
    [
        ({"a": 1}, [], "left operand is an object, not a list"),
        ([], "abc", "right operand is a string, not a list"),
        (None, [], "left operand is null, not a list"),
        ([], 3, "right operand is a number, not a list"),
    ],
)
def test_combine__refuses_an_operand_that_is_not_a_list(left, right, message):
    with pytest.raises(CombineError) as caught:
        combine("UNION", left, right)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("left", "right", "side", "message"),
    [
        ([iv("g", 0, 1), {"group": "g", "start": 0}], [], "left", "item 1 is missing end"),
        ([], [{"start": 0}], "right", "item 0 is missing group, end"),
        ([], [iv("g", 0, 1), 5], "right", "item 1 is a number, not an object"),
        ([iv("g", "0", 1)], [], "left", "item 0 has a non-numeric start: '0'"),
        ([], [iv("g", 0, None)], "right", "item 0 has a non-numeric end: None"),
        ([iv("g", True, 1)], [], "left", "item 0 has a non-numeric start: True"),
        ([iv("g", 0, 1), iv("g", 5, 2)], [], "left", "item 1 has start 5 after end 2"),
    ],
)
def test_colocate__refuses_malformed_items_naming_side_and_index(left, right, side, message):
    with pytest.raises(CombineError) as caught:
        combine("COLOCATE", left, right)
    assert caught.value.side == side
    assert str(caught.value).startswith(f"{side} operand {message}")


def test_colocate__checks_right_items_even_when_left_is_empty():
    with pytest.raises(CombineError, match="right operand item 0 is missing"):
        combine("COLOCATE", [], [{"group": "g"}])


@pytest.mark.parametrize("distance", [-1, -0.5, "5", None, True, float("nan")])
def test_colocate__refuses_a_negative_or_non_numeric_distance(distance):
    with pytest.raises(CombineError, match="distance must be a non-negative number"):
        combine("COLOCATE", [iv("g", 0, 1)], [iv("g", 0, 1)], distance=distance)


def test_it_ignores_distance_for_operators_other_than_colocate():
    assert combine("UNION", [1], [2], distance=-1) == [1, 2]


def test_combine_error__is_a_value_error():
    assert issubclass(CombineError, ValueError)


# The executor


def test_executor__runs_on_the_event_loop():
    assert inspect.iscoroutinefunction(CombineExecutor.run)


def test_executor__combines_the_named_inputs():
    outcome = run(
        spec(
            {"operator": "MINUS", "left": "plan.a", "right": "plan.b"},
            {"plan.a": [1, 2, 3], "plan.b": [2], "plan.c": [1]},
        )
    )
    assert outcome.ok
    assert outcome.result == [1, 3]


def test_executor__treats_a_skipped_dependency_as_an_empty_list():
    inputs = {"plan.a": [1, 2]}
    union = run(spec({"operator": "UNION", "left": "plan.a", "right": "gone"}, inputs))
    rminus = run(spec({"operator": "RMINUS", "left": "plan.a", "right": "gone"}, inputs))
    assert union.result == [1, 2]
    assert rminus.ok
    assert rminus.result == []


def test_executor__reads_the_colocate_distance_from_the_context():
    params = {"operator": "COLOCATE", "left": "a", "right": "b"}
    inputs = {"a": [iv("g", 0, 10)], "b": [iv("g", 13, 20)]}
    assert run(spec(params, inputs)).result == []
    assert run(spec(params, inputs, distance=3)).result == [iv("g", 0, 10)]


def test_executor__fails_as_bad_input_naming_operator_side_and_step_for_a_non_list_input():
    outcome = run(
        spec(
            {"operator": "UNION", "left": "plan.left", "right": "plan.right"},
            {"plan.left": {"a": 1}, "plan.right": []},
        )
    )
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert not outcome.retryable
    assert outcome.error == (
        "combine UNION: left operand (step 'plan.left') is an object, not a list"
    )


def test_executor__fails_as_bad_input_for_a_bad_distance_without_a_side():
    outcome = run(spec({"operator": "COLOCATE", "left": "a", "right": "b"}, {}, distance=-2))
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == "combine COLOCATE: distance must be a non-negative number, not -2"


def test_executor__fails_as_bad_input_for_bad_params_if_run_without_validation():
    outcome = run(spec({"operator": "NOPE", "left": "a"}, {"a": []}))
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert "unknown operator 'NOPE'" in outcome.error
    assert "right is required" in outcome.error


def test_validate_params__accepts_each_operator():
    for operator in OPERATORS:
        assert (
            CombineExecutor().validate_params({"operator": operator, "left": "a", "right": "b"})
            == []
        )


def test_validate_params__reports_each_problem():
    assert CombineExecutor().validate_params({}) == [
        "operator is required; one of UNION, INTERSECT, MINUS, RMINUS, COLOCATE",
        "left is required: the key of the step whose result to use",
        "right is required: the key of the step whose result to use",
    ]


def test_validate_params__reports_an_unknown_operator_and_non_string_sides():
    problems = CombineExecutor().validate_params({"operator": "JOIN", "left": 1, "right": ["b"]})
    assert problems == [
        "unknown operator 'JOIN'; expected one of UNION, INTERSECT, MINUS, RMINUS, COLOCATE",
        "left must be a step key (a string), not a number",
        "right must be a step key (a string), not a list",
    ]
