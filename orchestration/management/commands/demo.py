"""Start Plangate with a demo team, reviewer, token and plan: web server and worker together."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from plans import services
from plans.models import Plan, Team
from plans.states import PlanStatus

DEMO_TEAM = "demo"
DEMO_USER = "demo"

DEMO_TREE = {
    "goal": "Shortlist venues for the team offsite",
    "plan": {
        "type": "combine",
        "operator": "INTERSECT",
        "left": {
            "type": "task",
            "task": "List venues with room for 40 people",
            "executor": "python",
            "params": {
                "function": "list_items",
                "items": ["Harbour Hall", "Old Mill", "Glasshouse"],
            },
        },
        "right": {
            "type": "task",
            "task": "List venues that match the brief",
            "hint": "Quiet, near a station, free in June",
            "executor": "python",
            "params": {
                "function": "list_items",
                "items": ["Old Mill", "Glasshouse", "Lakeside Inn"],
            },
            "input": {
                "type": "task",
                "task": "Fetch the offsite brief",
                "hint": "The brief is in the shared drive",
                "params": {"brief": "Quiet venue near a station, June, 40 people"},
            },
        },
    },
}

DEMO_ARTIFACT = services.ArtifactDraft(
    title="Planning notes",
    summary=(
        "## Approach\n\nThe agent will **shortlist venues** in two branches and keep the venues "
        "that both branches return.\n\n- capacity first\n- then the brief"
    ),
    assumptions=["Budget is per person", "Dates are flexible within June"],
    parameters={"people": 40, "month": "June"},
)


class Command(BaseCommand):
    help = (
        "Migrate, create a demo team, reviewer, API token and a plan awaiting approval, then run "
        "the web server and a worker until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up the demo data and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password, token = self.set_up()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS("Plangate demo is ready.")
            + f"\n\n  Open      {url}\n  Log in    user {DEMO_USER}, password {password}\n"
            f"  Admin     {url}admin/ (same login)\n  API token {token}\n\n"
            f"  curl -H 'Authorization: Bearer {token}' {url}api/v1/plans\n"
        )
        if options["no_serve"]:
            return
        self.serve(options["host"], options["port"])

    @transaction.atomic
    def set_up(self) -> tuple[str, str]:
        team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        # A fresh password on every start, printed: nothing guessable ships with the demo.
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        team.members.add(user)
        _, token = services.token_create(team=team, name="demo")
        if not Plan.objects.filter(team=team, status=PlanStatus.DRAFT).exists():
            services.plan_submit(
                team=team,
                actor=services.Actor(label="demo"),
                submission=services.PlanSubmission(
                    user_id="demo-user",
                    topic_id="offsite",
                    title="Offsite venue shortlist",
                    tags=["demo"],
                    artifacts=[DEMO_ARTIFACT],
                    delegation=DEMO_TREE,
                ),
            )
        return password, token

    def serve(self, host: str, port: int) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = [
            subprocess.Popen([*manage, "runworker"]),  # noqa: S603 - our own command line
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    host,
                    "-p",
                    str(port),
                    "orchestration.asgi:application",
                ],
                cwd=settings.BASE_DIR,
            ),
        ]
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Stopped.")
