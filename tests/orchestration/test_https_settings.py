"""Behind a TLS proxy, the production settings send plain http to https and announce HSTS; without
them (the embedded demo) plain http is served as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.orchestration.test_deploy_check import production_env
from tests.processes import ROOT

# Requests made with Django's test client in a process started with the given environment.
PROBE = """
import json
from django.test import Client
client = Client(HTTP_HOST="plangate.example.com")
answers = {}
for name, headers in [("http", {}), ("proxied_https", {"X-Forwarded-Proto": "https"})]:
    r = client.get("/accounts/login/", headers=headers)
    answers[name] = {
        "status": r.status_code,
        "location": r.get("Location", ""),
        "hsts": r.get("Strict-Transport-Security", ""),
    }
print(json.dumps(answers))
"""


def probe(env: dict[str, str]) -> dict[str, dict[str, str | int]]:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers: dict[str, dict[str, str | int]] = json.loads(result.stdout.strip().splitlines()[-1])
    return answers


def test_it_redirects_plain_http_and_sends_hsts_behind_a_tls_proxy(tmp_path: Path) -> None:
    answers = probe(production_env(tmp_path))

    assert answers["http"]["status"] == 301
    assert answers["http"]["location"] == "https://plangate.example.com/accounts/login/"
    # The proxy's X-Forwarded-Proto says the browser spoke https: no redirect loop.
    assert answers["proxied_https"]["status"] == 200
    assert answers["proxied_https"]["hsts"] == "max-age=31536000; includeSubDomains; preload"


def test_it_serves_plain_http_without_the_production_settings(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    for name in ["SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS"]:
        del env[name]
    answers = probe(env)

    assert answers["http"]["status"] == 200
    assert answers["http"]["hsts"] == ""
