"""Create an API token for a team and print its secret (shown this once only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plans import services
from plans.access.rules import parse_scopes
from plans.models import Scope, Team


class Command(BaseCommand):
    help = "Create an API token for a team and print it. The secret is not stored: copy it now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="Name of the team the token acts for.")
        parser.add_argument(
            "--name", default="", help="A label for the token, e.g. the integration."
        )
        parser.add_argument(
            "--create-team", action="store_true", help="Create the team if it does not exist."
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help=f"What the token may do; repeat for more ({', '.join(Scope.values)}). "
            "Default: plans:submit and plans:read.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["team"].strip()
        if not name:
            raise CommandError("--team must not be empty")
        try:
            scopes = parse_scopes(options["scopes"]) if options["scopes"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["create_team"]:
            Team.objects.get_or_create(name=name)
        team = Team.objects.filter(name=name).first()
        if team is None:
            raise CommandError(
                f"no team named {name!r}; create it in the admin or pass --create-team"
            )
        token, secret = services.token_create(team=team, name=options["name"], scopes=scopes)
        self.stderr.write(
            f"Token {token.prefix} created for team {team.name} with scopes "
            f"{', '.join(token.scopes)}. It is shown only once:"
        )
        self.stdout.write(secret)
