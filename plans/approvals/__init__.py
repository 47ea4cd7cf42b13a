"""Quorum: how many approvals a plan or a gate needs, from whom, and counting them."""
