"""Slack: the message a channel gets when a plan or a gate waits for a decision, its delivery,
and the buttons in it, which decide through the same services as the pages and the API."""
