"""Who may do what: a member's role in the team, an API token's scopes, and separation of duties.

`rules.py` holds the pure tables; `checks.py` the one check every decision service makes under
the plan's lock; `services.py` the changes a team's admins make to members, tokens and settings.
"""
