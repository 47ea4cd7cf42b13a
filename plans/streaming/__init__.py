"""Following one plan without polling: its events as a stream, and waiting for a decision or
the end. Async throughout, so a server process keeps many idle followers without a busy thread
or a database connection each.
"""
