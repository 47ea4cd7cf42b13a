"""The client is its own package: importing it loads neither Django nor Plangate's code."""

from __future__ import annotations

import subprocess
import sys

from tests.processes import ROOT

CHECK = """
import sys
import plangate_client
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"django", "plans", "orchestration"})
print(",".join(loaded))
"""


def test_importing_the_client_loads_no_server_code() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT / "client",
        env={"PYTHONPATH": str(ROOT / "client"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""
