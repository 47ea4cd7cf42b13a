"""Write a plan's checkpoint (as GET /api/v1/plans/{id}/checkpoint answers it) as JSON."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plans.checkpoints import checkpoint_for_plan
from plans.models import Plan


class Command(BaseCommand):
    help = (
        "Write a plan's checkpoint (its steps, results, artifacts, inputs and usage) as JSON, to "
        "standard output or a file; import_checkpoint restores it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan", help="The plan's id.")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Raises CommandError for an id that is not a plan's, or a file it cannot write."""
        try:
            plan_id = uuid.UUID(options["plan"].strip())
        except ValueError:
            raise CommandError(f"{options['plan']!r} is not a plan id") from None
        try:
            # Read again in one snapshot by checkpoint_for_plan; this only finds the plan.
            data = checkpoint_for_plan(Plan.objects.get(pk=plan_id))
        except Plan.DoesNotExist:
            raise CommandError(f"no plan {plan_id}") from None
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if options["output"] is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["output"]).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc}") from None
        self.stderr.write(f"Wrote the checkpoint of plan {plan_id} to {options['output']}.")
