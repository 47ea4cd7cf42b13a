"""Start Plangate with a demo team, reviewer, token and plan: web server and worker together."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from plans import services
from plans.models import Membership, Plan, PolicyVersion, Role, Team
from plans.planning.backends.catalog import CatalogPlanner
from plans.planning.services import Proposal, plan_propose
from plans.policy.services import policy_change

DEMO_TEAM = "demo"
DEMO_USER = "demo"
DEMO_SLOW_STEP_SECONDS = 5
# The worker's grace period on stop, within demo's own wait for it (STOP_WAIT_SECONDS): a step
# still running then is handed back and the worker exits by itself rather than being killed.
WORKER_GRACE_SECONDS = 10
STOP_WAIT_SECONDS = 15
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# The demo team's policy: one rule in shadow mode, so the plan page shows what it would do.
DEMO_POLICY = {
    "rules": [
        {
            "name": "auto-approve-demo-plans",
            "action": "auto_approve",
            "shadow": True,
            "when": {"tags_any": ["demo"], "executors_within": ["python", "combine", "echo"]},
            "reason": "Demo plans only list things; once trusted, they need no reviewer.",
        }
    ],
    "permissions": [{"executor": "shell", "role": "*", "mode": "deny"}],
}
# The goal the planner drafts the second demo plan from.
DEMO_GOAL = "Count the words of the offsite invitation"
# What the demo plan may spend (its steps report no usage, so it spends nothing).
DEMO_BUDGET = Decimal("5.00")
DEMO_TREE = {
    "goal": "Shortlist venues for the team offsite",
    "plan": {
        "type": "combine",
        "operator": "INTERSECT",
        "left": {
            "type": "task",
            "task": "List venues with room for 40 people",
            "hint": (
                "Fails on purpose: its params name the list 'venues' where the function wants "
                "'items'. The plan then waits for you: retry it with 'venues' renamed to 'items'."
            ),
            "executor": "python",
            "params": {
                "function": "list_items",
                "venues": ["Harbour Hall", "Old Mill", "Glasshouse"],
            },
            # A failure holds the plan for a reviewer's rescue instead of failing it.
            "on_failure": "ask",
        },
        "right": {
            "type": "task",
            "task": "List venues that match the brief",
            "hint": "Quiet, near a station, free in June. Gated: approve it once the brief is in",
            "executor": "python",
            # A gate: it waits for a reviewer, who sees the brief it receives, before it runs.
            "approval": "required",
            "params": {
                "function": "list_items",
                "items": ["Old Mill", "Glasshouse", "Lakeside Inn"],
            },
            "input": {
                "type": "task",
                "task": "Fetch the offsite brief",
                "hint": "The brief is in the shared drive (this demo step takes a few seconds)",
                # Slow on purpose: a newcomer who approves the plan sees a step in progress,
                # live, before the plan completes.
                "executor": "python",
                "params": {"function": "sleep", "seconds": DEMO_SLOW_STEP_SECONDS},
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
        "Migrate, create a demo team, reviewer, API token and a fresh plan awaiting approval, "
        "then run the web server and a worker until interrupted (one Ctrl-C stops both)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up the demo data and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password, token, plan, proposed = self.set_up()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS("Plangate demo is ready.")
            + f"\n\n  Open      {url}plans/{plan.pk}/ (a plan awaiting your approval)\n"
            f"  Then      {url}plans/{proposed.pk}/ (drafted by the planner from a goal: "
            "supply its input)\n"
            f"  Plan      {url}plans/new (a plan from a goal of your own)\n"
            f"  Log in    user {DEMO_USER}, password {password}\n"
            f"  Admin     {url}admin/ (same login)\n  API token {token}\n\n"
            f"  curl -H 'Authorization: Bearer {token}' {url}api/v1/plans\n"
        )
        if options["no_serve"]:
            return
        if not self.serve(options["host"], options["port"]):
            raise SystemExit(1)

    @transaction.atomic
    def set_up(self) -> tuple[str, str, Plan, Plan]:
        """The demo team, its reviewer (with a fresh password), a new API token, a new draft
        plan, and a draft the planner made from a goal, which lacks an input. Every run adds
        both plans: one approved, skipped in or cancelled on an earlier run is no demo of the
        review any more."""
        team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        # A fresh password on every start, printed: nothing guessable ships with the demo.
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        # The demo's reviewer also runs the team: its settings and response-times pages.
        Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role.ADMIN})
        _, token = services.token_create(team=team, name="demo")
        if not PolicyVersion.objects.filter(team=team).exists():
            # A first policy to read on the plan page; a team that changed it keeps its own.
            policy_change(
                team=team,
                actor=services.Actor.for_user(user),
                base_version=0,
                document=DEMO_POLICY,
                comment="the demo's first policy",
            )
        plan = services.plan_submit(
            team=team,
            actor=services.Actor(label="demo"),
            submission=services.PlanSubmission(
                user_id="demo-user",
                topic_id="offsite",
                title="Offsite venue shortlist",
                tags=["demo"],
                artifacts=[DEMO_ARTIFACT],
                delegation=DEMO_TREE,
                budget=DEMO_BUDGET,
            ),
        )
        # The planner's catalog backend (the default: no model, nothing to set up) turns a goal
        # into a plan over the action catalog; the text to count is left for the reviewer.
        proposed = plan_propose(
            team=team,
            actor=services.Actor(label="demo"),
            proposal=Proposal(goal=DEMO_GOAL, user_id="demo-user", topic_id="offsite"),
            planner=CatalogPlanner(),
        )
        return password, token, plan, proposed

    def serve(self, host: str, port: int) -> bool:
        """Run the worker and the web server until a stop signal or until one of them exits;
        then stop both. True if both exited with status 0."""
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {
            "runworker": [*manage, "runworker", "--grace", str(WORKER_GRACE_SECONDS)],
            "daphne": [
                sys.executable,
                *["-m", "daphne", "-b", host, "-p", str(port)],
                "orchestration.asgi:application",
            ],
        }
        children: dict[str, subprocess.Popen[bytes]] = {}
        stops = 0

        def stop(signum: int, frame: Any) -> None:
            nonlocal stops
            stops += 1
            if stops > 1:
                # A second Ctrl-C: the user will not wait. Passed on, it makes the worker exit
                # at once (its leases then expire as after a crash).
                for child in children.values():
                    child.send_signal(signal.SIGTERM)

        # Set before the children start: a Ctrl-C from then on stops them, never leaves them
        # running without us.
        previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
        try:
            for name, argv in commands.items():
                # Each child in a session of its own, away from the terminal. Ctrl-C in a
                # terminal sends SIGINT to every process of the foreground process group: in
                # ours, the worker would get it from the terminal and SIGTERM from us below,
                # and take the two for "exit now, leave the running steps behind". Out of the
                # terminal's reach, each child hears of one Ctrl-C exactly once, from us (and no
                # other job control, such as `stty tostop`, can stop it). Telling the two
                # signals apart in the worker instead would take a time window, which would
                # swallow a real second Ctrl-C or miss a late first one whenever the timing
                # differed.
                children[name] = subprocess.Popen(  # noqa: S603 - our own command lines
                    argv, cwd=settings.BASE_DIR, start_new_session=True
                )
            while not stops and all(c.poll() is None for c in children.values()):
                time.sleep(0.2)
        finally:
            terminated: set[str] = set()
            for name, child in children.items():
                if child.poll() is None:
                    child.terminate()
                    terminated.add(name)
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            for child in children.values():
                try:
                    child.wait(timeout=max(deadline - time.monotonic(), 0))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        failed = {
            name: c.returncode
            for name, c in children.items()
            # Killed by our SIGTERM before it had set up its handler (stopped while starting):
            # it had nothing to finish, so that is a clean stop too.
            if c.returncode != 0 and not (name in terminated and c.returncode == -signal.SIGTERM)
        }
        for name, code in failed.items():
            self.stderr.write(f"{name} exited with status {code}")
        self.stdout.write("Stopped.")
        return not failed and len(children) == len(commands)
