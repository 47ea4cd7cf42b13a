"""Test settings: the production settings, made fast."""

from __future__ import annotations

import json
import os

from orchestration.settings import *  # noqa: F403
from orchestration.settings import BASE_DIR, DATABASES, PLANGATE_PYTHON_FUNCTIONS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker or server started by a test in another process sees
    # the same database.
    # PLANGATE_TEST_SQLITE names another file, for two runs side by side.
    name = os.environ.get("PLANGATE_TEST_SQLITE", ".test-db.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / name)}

# More python-executor functions, as a JSON object of name -> dotted path: how a test lets the
# worker processes it starts call its own functions (in-process tests use settings instead).
PLANGATE_PYTHON_FUNCTIONS = {
    **PLANGATE_PYTHON_FUNCTIONS,
    **json.loads(os.environ.get("PLANGATE_TEST_FUNCTIONS", "{}")),
}
