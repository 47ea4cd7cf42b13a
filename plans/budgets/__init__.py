"""Usage, cost and budgets: what steps consumed, what it cost, and when spending must stop."""
