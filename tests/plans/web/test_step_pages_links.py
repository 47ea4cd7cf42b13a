"""A plan of many pages of rows links to the first and the last page and to those near the one
shown, and leaves the others out (marked "…"), so the pager stays one short line."""

from __future__ import annotations

from plans.web.step_pages import StepsPage


def test_step_pages__links_leave_out_far_pages() -> None:
    assert StepsPage(number=1, count=10, total=1000, steps=[]).links == [1, 2, 3, 4, None, 10]
    assert StepsPage(number=6, count=10, total=1000, steps=[]).links == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
    ]
    assert StepsPage(number=12, count=50, total=5000, steps=[]).links == [
        1,
        None,
        *range(9, 16),
        None,
        50,
    ]
