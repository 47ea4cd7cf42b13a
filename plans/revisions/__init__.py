"""Revisions: every version of a plan kept as it was, replaced as a whole, and compared."""
