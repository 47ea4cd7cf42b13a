"""`manage.py check --deploy` passes with the production environment the README documents."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT

# The README's Production section, as an operator would export it.
PRODUCTION_ENV = {
    "SECRET_KEY": "k" * 10 + "-production-secret-key-of-more-than-fifty-characters-" + "x" * 10,
    "ALLOWED_HOSTS": "plangate.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://plangate.example.com",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test process's environment less Plangate's own settings, plus the production ones."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(PRODUCTION_ENV, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra)
    return env


def test_it_passes_the_deploy_check_with_the_documented_production_settings(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
