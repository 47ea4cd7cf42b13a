"""Schemathesis against the real server: every answer of every operation is one the OpenAPI
document declares, with the body and content type it declares, and none is a server error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from plans import services
from tests.conftest import ALL_SCOPES
from tests.factories import step, submit_plan
from tests.processes import ROOT, child_env, serving

ARTIFACTS = ROOT / "test-artifacts"
# Bounded and fixed, so a run takes about a minute and finds the same cases every time.
MAX_EXAMPLES = 20
SEED = 20240611

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server() -> Iterator[str]:
    # The long waits answer within a second here, well inside the request timeout below.
    with serving(
        log=ARTIFACTS / "schemathesis-server.log",
        PLANGATE_WAIT_MAX_SECONDS="1",
        PLANGATE_STREAM_MAX_SECONDS="1",
    ) as live:
        yield f"http://{live.address}"


def config(tmp_path: Path, plan_id: str) -> Path:
    path = tmp_path / "schemathesis.toml"
    # A plan that exists, so the operations on one get past the 404. Valid by the schema is not
    # valid by the plan's own checks (registered executors, known dependencies): a schema-valid
    # request may be refused with a documented 409 or 422, never a 5xx or an undocumented one.
    path.write_text(
        f"""
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[parameters]
"path.plan_id" = "{plan_id}"
"path.key" = "a"
"""
    )
    return path


def test_it_answers_every_generated_request_as_the_openapi_document_says(
    server: str, team: Any, tmp_path: Path
) -> None:
    # Submitted by someone else: the token may decide on it. With every scope, no operation is
    # refused before its body is read, so every answer of every operation is checked.
    plan = submit_plan(team, [step("a"), step("b", "a")])
    _, raw = services.token_create(team=team, name="schemathesis", scopes=ALL_SCOPES)
    junit = ARTIFACTS / "schemathesis.xml"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "--config-file",
        str(config(tmp_path, str(plan.pk))),
        "run",
        f"{server}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {raw}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    # Our own report, just written: every operation was tested, and none failed a check.
    report = ElementTree.parse(junit).getroot()  # noqa: S314
    assert report.get("tests") == str(operation_count())
    assert (report.get("failures"), report.get("errors")) == ("0", "0")


def operation_count() -> int:
    """How many operations the OpenAPI document declares: each must have been tested."""
    from orchestration.api import api

    paths = api.get_openapi_schema()["paths"]
    methods = {"get", "post", "put", "patch", "delete"}
    return sum(1 for operations in paths.values() for method in operations if method in methods)
