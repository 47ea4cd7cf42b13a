"""Who did something, as the pages say it, from the actor string an event, revision, comment or
approval stores: one way for all of them."""

from __future__ import annotations

from collections.abc import Mapping

from plans.tokens import TOKEN_TAG


def actor_label(actor: str, tokens: Mapping[str, str] | None = None) -> str:
    """ "alice (reviewer)", "token my-agent (pgt_ab12cd…)", "worker host:1234", "policy rule
    cheap", "system", "system (timeout)". `tokens` names the team's tokens by prefix (a token it
    does not name is shown by its prefix alone). Other labels are the system acting for a
    command ("system (demo)")."""
    kind, _, name = actor.partition(":")
    if kind == "user" and name:
        return f"{name} (reviewer)"
    if kind == "token" and name:
        token_name = tokens.get(name, "") if tokens is not None else ""
        shown = f"{TOKEN_TAG}_{name}…"
        return f"token {token_name} ({shown})" if token_name else f"token {shown}"
    if kind == "worker" and name:
        return f"worker {name}"
    if kind == "policy" and name:
        # A rule of the team's policy that decided by itself (plans/policy/).
        return f"policy rule {name}"
    if kind == "system" and name:
        # The system acting for a reason of its own: a deadline that passed ("system:timeout").
        return f"system ({name})"
    if actor == "system" or not actor:
        return "system"
    return f"system ({actor})"
