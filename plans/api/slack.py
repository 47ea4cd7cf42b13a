"""Slack's interactivity endpoint: a click on a decision button in a Slack message.

No API token: Slack proves who is calling with its request signature instead (checked before
anything else is read), and the person who clicked is matched by email to a team member.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from plans.api.endpoints import answers
from plans.slack import services, signature

router = Router(tags=["slack"])

FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["payload"],
                    "properties": {
                        "payload": {
                            "type": "string",
                            "description": "Slack's block_actions interaction, as JSON.",
                        }
                    },
                }
            }
        },
    },
    "parameters": [
        {
            "in": "header",
            "name": signature.SIGNATURE_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "`v0=` and the hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with "
            "the app's signing secret.",
        },
        {
            "in": "header",
            "name": signature.TIMESTAMP_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "Unix time the request was sent; more than 5 minutes off is refused.",
        },
    ],
}


class SlackAnswerOut(Schema):
    """What the person who clicked was told (also posted to them in Slack), and whether a
    decision was made. `text` is empty for a click that needs no answer (the Open button)."""

    text: str
    decided: bool


@router.post(
    "/interactions",
    response=answers({200: SlackAnswerOut}),
    summary="Slack interactivity: a click on a decision button",
    openapi_extra=FORM_BODY,
)
def slack_interactions(request: HttpRequest) -> Status:
    """A 401 for a request not signed by Slack, too old or newer than 5 minutes, or already
    received. Otherwise a 200 whatever became of the click (Slack shows nothing of it): the
    answer is posted in the message's thread for a decision, to the clicking person alone for
    a refusal. A 422 for a signed body that holds no interaction payload."""
    try:
        sent_at = signature.verify(
            timestamp=request.headers.get(signature.TIMESTAMP_HEADER),
            signature=request.headers.get(signature.SIGNATURE_HEADER),
            body=request.body,
        )
        signature.remember(timestamp=sent_at, signature=request.headers[signature.SIGNATURE_HEADER])
    except signature.BadSignature as exc:
        return Status(401, {"detail": str(exc)})
    try:
        click = services.click_parse(request.body)
    except services.InteractionInvalid as exc:
        return Status(
            422, {"detail": [{"loc": list(exc.loc), "msg": str(exc), "type": "value_error"}]}
        )
    if click is None:
        return Status(200, {"text": "", "decided": False})
    outcome = services.click_handle(click)
    return Status(200, {"text": outcome.text, "decided": outcome.decided})
