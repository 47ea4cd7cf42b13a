"""Remove the old events of plans that ended long ago (see the README's "Event retention")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from plans.retention.services import events_prune


class Command(BaseCommand):
    help = (
        "Delete the events of plans that ended more than --days ago (default "
        "PLANGATE_EVENT_RETENTION_DAYS), in batches, keeping the decisions the audit export "
        "reads. Plans that have not ended keep every event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, help="Keep the events of plans that ended fewer days ago."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Events deleted per transaction."
        )
        parser.add_argument(
            "--include-decisions",
            action="store_true",
            help="Delete the audit export's decisions too (approvals, cancels, skips...).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Raises CommandError when no retention is set or a number is out of range."""
        days = options["days"]
        if days is None:
            days = settings.PLANGATE_EVENT_RETENTION_DAYS
            if not days:
                raise CommandError(
                    "no retention set: give --days or set PLANGATE_EVENT_RETENTION_DAYS"
                )
        if days < 1:
            raise CommandError("--days must be at least 1")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - timedelta(days=days)
        pruned = events_prune(
            ended_before=cutoff,
            batch_size=options["batch_size"],
            keep_audit=not options["include_decisions"],
            dry_run=options["dry_run"],
        )
        what = "decisions included" if options["include_decisions"] else "decisions kept"
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(
            f"{verb} {pruned.events} events of {pruned.plans} plans that ended before "
            f"{cutoff:%Y-%m-%d %H:%M} UTC ({what})."
        )
