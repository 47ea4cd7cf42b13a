"""Restore a plan from a checkpoint (GET /api/v1/plans/{id}/checkpoint) and print its id."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plans.checkpoints import CheckpointError, checkpoint_restore
from plans.models import Team
from plans.states import STEP_TERMINAL


class Command(BaseCommand):
    help = (
        "Restore a plan from a checkpoint file ('-' reads standard input). It goes on from where "
        "it was: finished steps keep their results, running ones run again. Prints the plan id."
    )
    # call_command(..., stdin=...) reads from that stream instead of sys.stdin (as in Django's
    # createsuperuser).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The checkpoint JSON file, or '-' for standard input.")
        parser.add_argument(
            "--team", help="Restore into this team instead of the one the checkpoint names."
        )
        parser.add_argument(
            "--new-id",
            action="store_true",
            help="Restore as a new plan, with a new id (for a plan that still exists here).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Raises CommandError, with the reason, for every checkpoint that is refused."""
        data = self._read(options["file"], options.get("stdin") or sys.stdin)
        team = None
        if options["team"] is not None:
            team = Team.objects.filter(name=options["team"].strip()).first()
            if team is None:
                raise CommandError(f"no team named {options['team']!r}")
        try:
            plan = checkpoint_restore(data, team=team, new_id=options["new_id"])
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
        statuses = list(plan.steps.values_list("status", flat=True))
        finished = sum(1 for s in statuses if s in STEP_TERMINAL)
        self.stderr.write(
            f"Restored plan {plan.pk!s} into team {plan.team.name}: {plan.status}, "
            f"{len(statuses)} steps ({finished} finished, {len(statuses) - finished} to run)."
        )
        self.stdout.write(str(plan.pk))

    def _read(self, file: str, stdin: Any) -> Any:
        try:
            text = stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            return json.loads(text, parse_constant=_not_json)
        except ValueError as exc:  # json.JSONDecodeError included
            where = "standard input" if file == "-" else file
            raise CommandError(f"{where} is not valid JSON: {exc}") from None


def _not_json(name: str) -> Any:
    # Python's json reads NaN and Infinity; JSON has no such numbers, and PostgreSQL's jsonb
    # refuses them.
    raise ValueError(f"{name} is not a JSON number")
