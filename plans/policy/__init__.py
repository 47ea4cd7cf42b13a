"""Policy: a team's ordered rules that decide, at submission and at every revision, what a plan
may do and what needs a person."""
