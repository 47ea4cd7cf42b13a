"""A socket to an address no page uses is refused in the handshake, logged in or not, and the
server logs no error for it."""

from __future__ import annotations

from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.processes import Server, log_problems
from tests.websockets import open_real_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.mark.parametrize("username", [None, "alice"])
@pytest.mark.parametrize(
    "path",
    ["/ws/", "/ws/other/", "/ws/plans/not-a-uuid/", "/ws/plans", "/ws/plans/{id}", "/other"],
)
async def test_it_refuses_an_unknown_path_in_the_handshake(
    daphne: Server, reviewer: Any, username: str | None, path: str
) -> None:
    path = path.format(id="0b0c3f8e-4d55-4a43-9c2e-6f1d2b1a7e51")
    with pytest.raises(InvalidStatus) as refused:
        await open_real_socket(daphne.address, path, username=username)
    assert refused.value.response.status_code == 403
    assert log_problems(daphne.log) == []
