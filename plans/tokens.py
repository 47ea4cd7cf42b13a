"""API token format, hashing and lookup.

A token reads `pgt_<prefix>_<secret>`. The prefix (stored in clear, unique) finds the row; only a
SHA-256 hash of the whole token is stored. The secret has 256 bits of entropy, so a fast hash is
enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.utils import timezone

from plans.models import ApiToken

TOKEN_TAG = "pgt"  # noqa: S105 - a public prefix, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate() -> tuple[str, str]:
    """A new (prefix, raw token) pair."""
    prefix = secrets.token_hex(6)
    return prefix, f"{TOKEN_TAG}_{prefix}_{secrets.token_urlsafe(32)}"


def authenticate(raw: str) -> ApiToken | None:
    """The active token `raw` stands for, or None. Records when it was last used."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_TAG:
        return None
    token = ApiToken.objects.select_related("team").filter(prefix=parts[1], revoked_at=None).first()
    if token is None or not hmac.compare_digest(token.hashed_secret, hash_token(raw)):
        return None
    now = timezone.now()
    # Written at most once a minute per token, so a busy integration does not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
