"""Email notifications: text and HTML through Django's email backend, with links."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from orchestration.engine import outbox
from plans.models import Channel, OutboxMessage, Subscription
from tests.factories import UserFactory, submit_plan


@pytest.fixture
def bob(team: Any) -> Any:
    user = UserFactory(username="bob", email="bob@example.com")
    team.members.add(user)
    return user


def test_it_emails_a_member_with_links_to_the_plan_and_to_confirm(
    team: Any, bob: Any, settings: Any
) -> None:
    settings.PLANGATE_BASE_URL = "https://plangate.example.com"
    Subscription.objects.create(team=team, channel=Channel.EMAIL, user=bob)
    plan = submit_plan(team, title="Rotate the <keys>")

    outbox.messages_deliver(worker="w1")

    [email] = mail.outbox
    assert email.to == ["bob@example.com"]
    assert email.subject == "[Plangate] Waiting for your decision: Rotate the <keys>"
    page = f"https://plangate.example.com/plans/{plan.pk}/"
    approve = f"{page}confirm/approve/?version=1"
    cancel = f"{page}confirm/cancel/?version=1"
    assert page in email.body
    assert approve in email.body
    assert cancel in email.body
    assert "Rotate the <keys>" in email.body
    [(html, kind)] = email.alternatives
    assert kind == "text/html"
    assert f'href="{approve}"' in html
    assert f'href="{page}"' in html
    assert "Rotate the &lt;keys&gt;" in html
    assert email.extra_headers["Plangate-Delivery"] == str(OutboxMessage.objects.get().delivery_id)
    assert OutboxMessage.objects.get().status == "delivered"


def test_it_sends_to_the_address_given_and_names_what_happened(team: Any) -> None:
    Subscription.objects.create(
        team=team, channel=Channel.EMAIL, target="ops@example.com", types=["plan.revised"]
    )
    from plans import services
    from plans.revisions.services import RevisionDraft, plan_revise, step_drafts

    plan = submit_plan(team, title="Deploy")
    plan_revise(
        plan=plan,
        actor=services.SYSTEM,
        draft=RevisionDraft(
            base_version=1, steps=step_drafts(plan.revisions.get(version=1).content)[:1]
        ),
    )

    outbox.messages_deliver(worker="w1")

    [email] = mail.outbox
    assert email.to == ["ops@example.com"]
    assert email.subject == "[Plangate] Plan revised: Deploy"
    # Only a waiting plan's email links to the confirmation pages.
    assert "confirm/" not in email.body


def test_it_fails_the_attempt_for_a_member_without_an_address(team: Any) -> None:
    carol = UserFactory(username="carol", email="")
    team.members.add(carol)
    Subscription.objects.create(team=team, channel=Channel.EMAIL, user=carol)
    submit_plan(team)

    outbox.messages_deliver(worker="w1")

    assert mail.outbox == []
    assert "no address" in OutboxMessage.objects.get().last_error
