from __future__ import annotations

from typing import Any

import pytest

from tests.plans.catalog.support import ACTIONS


@pytest.fixture(autouse=True)
def catalog(settings: Any) -> None:
    settings.PLANGATE_ACTIONS = ACTIONS
