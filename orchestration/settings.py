"""Plangate settings: wiring only, read from the environment.

Every knob a deployment turns is an environment variable, listed in the README:
DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, the SECURE_*
settings of the security section, and the PLANGATE_* settings at the end of this file.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from plans.budgets.prices import parse_pricing
from plans.guardrails import config as guardrail_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    # A deployment sets SECRET_KEY (the same on every machine). Without one, a random key is kept
    # in a local file so sessions survive restarts of the embedded set-up.
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Before channels, whose own runworker command would otherwise shadow Plangate's.
    "orchestration",
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "ninja",
    "plans",
    "plans.web",
    "executors",
]

MIDDLEWARE = [
    # Outermost, so that it sees every answer under /api/, errors from the others included.
    "orchestration.middleware.ApiJsonErrors",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, async-capable: no middleware may make an async view wait in a thread.
    "orchestration.middleware.StaticFiles",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "orchestration.urls"
ASGI_APPLICATION = "orchestration.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "plans.web.context.access",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The server, the worker and the tests share one SQLite file: WAL lets readers run beside the
    # single writer, IMMEDIATE takes the write lock up front (no deadlock on lock upgrade), and
    # the timeout makes a writer wait its turn instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "plans:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(
    exist_ok=True
)  # collectstatic fills it in production; WhiteNoise wants it to exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Request bodies are limited to this size; larger ones are refused with a 413 naming the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PLANGATE_MAX_BODY_BYTES", str(1024 * 1024)))

# --- HTTPS and browser security ---------------------------------------------------------------
# Every default keeps the embedded `manage.py demo` working on plain http; a deployment behind a
# TLS proxy turns them on (README, Production).

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Redirect plain http to https. Behind a proxy that ends TLS, Django sees plain http on every
# request: set SECURE_PROXY_SSL_HEADER too, or every request redirects to itself.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")


def _proxy_ssl_header(name: str) -> tuple[str, str] | None:
    # The header the TLS proxy sets to "https" (e.g. X-Forwarded-Proto). Only safe when the proxy
    # always sets or strips it: a client that could send it itself could claim https.
    name = name.strip()
    if not name:
        return None
    return ("HTTP_" + name.upper().replace("-", "_"), "https")


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(os.environ.get("SECURE_PROXY_SSL_HEADER", ""))

# Scripts and styles only from Plangate's own static files: nothing inline, no eval, so markup
# that got into a page cannot run. htmx's inline indicator style is turned off in base.html
# (htmx-config), and the Django admin needs no more than this. 'self' in connect-src covers the
# page's XHR and its WebSocket to the same host (ws:// and wss://).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # channels_redis's layer on a pool set up for its blocking reads (a socket timeout longer
    # than its blocking pop, a plain pool that does not wait for a free connection): see
    # orchestration/channel_layer.py.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "orchestration.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL}], "prefix": "plangate"},
        }
    }
else:
    # One process only: live updates from a worker in another process reach pages through the
    # event-log poll in plans/web/consumers.py instead.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Plangate ---------------------------------------------------------------------------------

# Executor name -> dotted path of its class. A plan naming any other executor is refused.
PLANGATE_EXECUTORS = {
    "echo": "executors.builtin.echo.EchoExecutor",
    "combine": "executors.builtin.combine.CombineExecutor",
    "python": "executors.builtin.python.PythonExecutor",
    "http": "executors.builtin.http.HttpExecutor",
    "shell": "executors.builtin.shell.ShellExecutor",
}
# The executor a step (or delegation task node) gets when it names none.
PLANGATE_DEFAULT_EXECUTOR = os.environ.get("PLANGATE_DEFAULT_EXECUTOR", "echo")
# The `python` executor calls only these functions, by the name a plan gives in params.function.
PLANGATE_PYTHON_FUNCTIONS: dict[str, str] = {
    "word_count": "executors.builtin.functions.word_count",
    "sum_numbers": "executors.builtin.functions.sum_numbers",
    "list_items": "executors.builtin.functions.list_items",
    "sleep": "executors.builtin.functions.sleep",
}
# The action catalog (plans/catalog/): a path to a JSON file, or JSON text, holding a list of
# actions (or an object of name -> action). Checked in full when the apps are ready.
PLANGATE_ACTIONS: Any = os.environ.get(
    "PLANGATE_ACTIONS", str(BASE_DIR / "plans" / "catalog" / "default_actions.json")
)
# The planner (plans/planning/config.py): "catalog" (no model; routes a goal to actions by
# their descriptions) or "llm" (an OpenAI-compatible chat completions endpoint).
PLANGATE_PLANNER: dict[str, Any] = {
    "backend": os.environ.get("PLANGATE_PLANNER_BACKEND", "catalog"),
    "max_repairs": int(os.environ.get("PLANGATE_PLANNER_MAX_REPAIRS", "2")),
    "base_url": os.environ.get("PLANGATE_PLANNER_URL", ""),
    "model": os.environ.get("PLANGATE_PLANNER_MODEL", ""),
    "api_key": os.environ.get("PLANGATE_PLANNER_API_KEY", ""),
    "timeout_seconds": float(os.environ.get("PLANGATE_PLANNER_TIMEOUT_SECONDS", "60")),
    "max_attempts": int(os.environ.get("PLANGATE_PLANNER_MAX_ATTEMPTS", "3")),
}
# The `http` executor POSTs only to these URLs (exact match, scheme and host included).
PLANGATE_HTTP_ALLOWED_URLS = env_list("PLANGATE_HTTP_ALLOWED_URLS", "")
PLANGATE_HTTP_TIMEOUT_SECONDS = float(os.environ.get("PLANGATE_HTTP_TIMEOUT_SECONDS", "30"))
# The `shell` executor runs only these commands, by the name a plan gives in params.command, with
# no shell: a JSON object of name -> either an argv list, e.g.
# {"report": ["/usr/local/bin/make-report", "--quiet"]}, to which a plan may append at most 100
# positional arguments (none starting with "-"), or {"argv": [...], "args": "none" | "positional"
# | "any", "max_args": 100} ("args" defaults to "positional"; "any" lets a plan pass options too).
# A positional argument still means whatever the program makes of it (a path, a subcommand, a
# pattern): list a command only if any such argument is safe. The executor checks each entry when
# a plan names it and reports a bad one as misconfigured.
PLANGATE_SHELL_COMMANDS: dict[str, list[str] | dict[str, Any]] = json.loads(
    os.environ.get("PLANGATE_SHELL_COMMANDS", "{}")
)
if not isinstance(PLANGATE_SHELL_COMMANDS, dict):
    raise ImproperlyConfigured("PLANGATE_SHELL_COMMANDS must be a JSON object: name -> command")

# Guardrails (plans/guardrails/): named checks a guardrail may call as {"check": "<name>"}, a JSON
# object of name -> "module.path:function"; and guardrails per executor, run before each step's
# own, a JSON object of executor -> {"input": [...], "output": [...], "on_block": "fail" | "ask"}.
PLANGATE_GUARDRAIL_CHECKS: dict[str, str] = guardrail_config.checks_from_environment()
PLANGATE_GUARDRAILS: dict[str, Any] = guardrail_config.from_environment(PLANGATE_GUARDRAIL_CHECKS)
# Recovery recipes by executor and failure class (plans/recovery/; see the README's "Recovery
# recipes"): a JSON object, e.g. {"http": {"rate_limited": {"recipe": "retry", "max_attempts":
# 5}}}. Checked in full (executors, a fallback's params) when the apps are ready.
try:
    PLANGATE_RECOVERY: dict[str, Any] = json.loads(os.environ.get("PLANGATE_RECOVERY", "{}"))
except ValueError as error:
    raise ImproperlyConfigured(f"PLANGATE_RECOVERY is not JSON: {error}") from None
# What models cost (plans/budgets/), for usage an executor reports without a cost: a JSON object
# of model -> {"input_per_million": 3, "output_per_million": 15, "units": {"searches": 0.01}}.
# Prices in the admin override it per model. Checked here, so a bad table stops the start.
try:
    PLANGATE_PRICING = parse_pricing(os.environ.get("PLANGATE_PRICING", ""))
except ValueError as _error:
    raise ImproperlyConfigured(str(_error)) from None

# Limits on what one plan may hold; each is named in the error when exceeded.
PLANGATE_MAX_STEPS = int(os.environ.get("PLANGATE_MAX_STEPS", "10000"))
PLANGATE_MAX_TREE_DEPTH = int(os.environ.get("PLANGATE_MAX_TREE_DEPTH", "50"))
# Event retention (plans/retention/, `manage.py prune_events`): the events of plans that ended
# more than this many days ago may be pruned, decisions kept. 0: keep every event (the default).
PLANGATE_EVENT_RETENTION_DAYS = int(os.environ.get("PLANGATE_EVENT_RETENTION_DAYS", "0"))
# Most items one fan-out step may have; a longer list fails the step as bad_input.
PLANGATE_MAX_FAN_OUT = int(os.environ.get("PLANGATE_MAX_FAN_OUT", "1000"))

# Worker: how often it looks for work when idle, and how many steps it runs at once.
PLANGATE_WORKER_POLL_SECONDS = float(os.environ.get("PLANGATE_WORKER_POLL_SECONDS", "0.5"))
# A slot is a task on the worker's event loop for an async executor, or a thread for a sync one:
# steps mostly wait (on a model, a webhook, a subprocess), so many cost little, and cheap steps
# need no tuning to go fast. What a plan may run at once is its max_concurrency, below.
PLANGATE_WORKER_CONCURRENCY = int(os.environ.get("PLANGATE_WORKER_CONCURRENCY", "64"))
# A plan's steps running at once, over all workers, unless the plan sets max_concurrency.
PLANGATE_PLAN_MAX_CONCURRENCY = int(os.environ.get("PLANGATE_PLAN_MAX_CONCURRENCY", "16"))
# A worker holds each running step for this long and renews it every third of it; when a worker
# dies, its steps go to the others this long after its last renewal.
PLANGATE_LEASE_SECONDS = float(os.environ.get("PLANGATE_LEASE_SECONDS", "30"))
# A step whose worker died this many times while running it is failed as poison.
PLANGATE_POISON_AFTER = int(os.environ.get("PLANGATE_POISON_AFTER", "3"))
# Defaults for steps whose executor sets none: seconds per attempt, attempts in all.
PLANGATE_STEP_TIMEOUT_SECONDS = float(os.environ.get("PLANGATE_STEP_TIMEOUT_SECONDS", "300"))
PLANGATE_STEP_MAX_ATTEMPTS = int(os.environ.get("PLANGATE_STEP_MAX_ATTEMPTS", "3"))
# Retry backoff: base * 2**(attempt-1) seconds, at most the cap, with full jitter.
PLANGATE_RETRY_BASE_SECONDS = float(os.environ.get("PLANGATE_RETRY_BASE_SECONDS", "1"))
PLANGATE_RETRY_MAX_SECONDS = float(os.environ.get("PLANGATE_RETRY_MAX_SECONDS", "300"))
# Circuit breaker per executor: opens after this many consecutive failures, for this long.
PLANGATE_BREAKER_FAILURES = int(os.environ.get("PLANGATE_BREAKER_FAILURES", "5"))
PLANGATE_BREAKER_COOLDOWN_SECONDS = float(os.environ.get("PLANGATE_BREAKER_COOLDOWN_SECONDS", "30"))

# Pages: how often an open page's socket checks the event log for changes the channel layer did
# not carry (a worker in another process without Redis, a lost message).
PLANGATE_LIVE_POLL_SECONDS = float(os.environ.get("PLANGATE_LIVE_POLL_SECONDS", "1.0"))
# ...and how often it checks the log of the other plans its top bar's inbox count counts, at
# those ticks (the channel layer announces their changes at once).
PLANGATE_LIVE_COUNT_POLL_SECONDS = float(os.environ.get("PLANGATE_LIVE_COUNT_POLL_SECONDS", "10.0"))

# Streaming (plans/streaming/): a comment line on an idle event stream this often, so proxies
# keep it open; the longest a stream stays open (the client resumes from its last event); the
# longest one long-poll wait.
PLANGATE_STREAM_KEEPALIVE_SECONDS = float(os.environ.get("PLANGATE_STREAM_KEEPALIVE_SECONDS", "15"))
PLANGATE_STREAM_MAX_SECONDS = float(os.environ.get("PLANGATE_STREAM_MAX_SECONDS", "3600"))
PLANGATE_WAIT_MAX_SECONDS = float(os.environ.get("PLANGATE_WAIT_MAX_SECONDS", "60"))

# Notifications (plans/notifications/): links in them start with this.
PLANGATE_BASE_URL = os.environ.get("PLANGATE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Attempts per message before it is given up, and the backoff between them: base * 2**(n-1)
# seconds, at most the cap, with jitter.
PLANGATE_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("PLANGATE_NOTIFY_MAX_ATTEMPTS", "8"))
PLANGATE_NOTIFY_RETRY_BASE_SECONDS = float(
    os.environ.get("PLANGATE_NOTIFY_RETRY_BASE_SECONDS", "10")
)
PLANGATE_NOTIFY_RETRY_MAX_SECONDS = float(
    os.environ.get("PLANGATE_NOTIFY_RETRY_MAX_SECONDS", "3600")
)
# A worker holds a message it sends for this long; after that another worker may send it again.
PLANGATE_NOTIFY_LEASE_SECONDS = float(os.environ.get("PLANGATE_NOTIFY_LEASE_SECONDS", "60"))
# A subscription is disabled after this many failed attempts in a row.
PLANGATE_NOTIFY_MAX_FAILURES = int(os.environ.get("PLANGATE_NOTIFY_MAX_FAILURES", "10"))
PLANGATE_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("PLANGATE_WEBHOOK_TIMEOUT_SECONDS", "10"))
# Webhooks to private, loopback, link-local and other non-public addresses are refused unless set.
PLANGATE_WEBHOOK_ALLOW_PRIVATE = env_bool("PLANGATE_WEBHOOK_ALLOW_PRIVATE")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "plangate@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
# Slack (plans/slack/): the bot token that posts messages, the signing secret that proves an
# interaction (a button click) came from Slack, and the Web API's address (a stand-in in tests).
PLANGATE_SLACK_BOT_TOKEN = os.environ.get("PLANGATE_SLACK_BOT_TOKEN", "")
PLANGATE_SLACK_SIGNING_SECRET = os.environ.get("PLANGATE_SLACK_SIGNING_SECRET", "")
PLANGATE_SLACK_API_URL = os.environ.get("PLANGATE_SLACK_API_URL", "https://slack.com/api")
# Seconds one Web API call may take. Slack wants an interaction answered within 3 s, and one
# click makes two calls (who clicked, then the answer in the thread).
PLANGATE_SLACK_TIMEOUT_SECONDS = float(os.environ.get("PLANGATE_SLACK_TIMEOUT_SECONDS", "1.2"))
# Telemetry (orchestration/telemetry/): traces when an OTLP endpoint is set or PLANGATE_TRACING
# says so; PLANGATE_TRACE_EXPORTER picks "otlp" (OTLP over HTTP, the standard OTEL_EXPORTER_OTLP_*
# variables apply), "console", or the dotted path of a SpanExporter class.
PLANGATE_TRACING = env_bool(
    "PLANGATE_TRACING", default=bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
)
PLANGATE_TRACE_EXPORTER = os.environ.get("PLANGATE_TRACE_EXPORTER", "otlp")
# /metrics answers a request bearing this token, or coming from one of these networks (CIDRs).
PLANGATE_METRICS_TOKEN = os.environ.get("PLANGATE_METRICS_TOKEN", "")
PLANGATE_METRICS_ALLOW = env_list("PLANGATE_METRICS_ALLOW", "127.0.0.1/32,::1/128")
# A worker's own metrics server (runworker --metrics-port; 0: none) and the address it binds.
PLANGATE_WORKER_METRICS_PORT = int(os.environ.get("PLANGATE_WORKER_METRICS_PORT", "0"))
PLANGATE_METRICS_BIND = os.environ.get("PLANGATE_METRICS_BIND", "127.0.0.1")
