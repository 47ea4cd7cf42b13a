"""The README's MCP example, run as written against a live Plangate: it submits over MCP,
waits for the approval this test gives (from another process than the server), and reads the
plan."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

import pytest
from django.db import connection

from plans import services
from plans.models import Plan, Scope
from tests.factories import approve
from tests.processes import ROOT, Server

pytestmark = pytest.mark.django_db(transaction=True)


def readme_mcp_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Using Plangate from an agent", 1)[1].split("\n## ", 1)[0]
    mcp = section.split("### Over MCP", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", mcp, flags=re.DOTALL)
    return blocks[0]


def test_the_readme_mcp_example_runs(live: Server, team: Any) -> None:
    _, raw = services.token_create(team=team, name="agent", scopes=[Scope.SUBMIT, Scope.READ])
    agent = subprocess.Popen(
        [sys.executable, "-c", readme_mcp_example()],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PLANGATE_URL": f"http://{live.address}",
            "PLANGATE_TOKEN": raw,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The reviewer: approves the plan once the agent has submitted it and waits.
        deadline = time.monotonic() + 30
        plan = None
        while plan is None and time.monotonic() < deadline:
            plan = Plan.objects.filter(team=team, topic_id="shared-drive").first()
            time.sleep(0.2)
        assert plan is not None, "the example submitted no plan"
        time.sleep(0.5)
        approve(plan)
        output, _ = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
        connection.close()

    assert agent.returncode == 0, output
    lines = [line for line in output.splitlines() if not line.startswith(("INFO", "20"))]
    assert lines[0] == f"waiting for a reviewer: {plan.pk}"
    assert lines[1] == "decided: approved"
    assert lines[2:] == ["list pending", "archive pending"]
