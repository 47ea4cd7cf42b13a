"""The audit trail: every decision on a team's plans, who made it, in what role, through what,
and how long the team takes to decide.

`selectors.py` reads the decisions and the figures; `export.py` writes them as JSON Lines or CSV.
"""
