"""Django admin for teams, tokens and plans.

Status is read-only everywhere here: the actions call the same services as the API and pages, so
the same state rules hold and the same events are recorded.
"""

from __future__ import annotations

import weakref
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from plans import selectors, services
from plans.budgets import admin as budget_admin  # noqa: F401 - registers prices and usage
from plans.budgets import services as budget_services
from plans.models import (
    ApiToken,
    Approval,
    ApproverGroup,
    Channel,
    DeliveryAttempt,
    ExecutorCircuit,
    Membership,
    NotificationType,
    OutboxMessage,
    Plan,
    PlanEvent,
    PlanningArtifact,
    PlanStep,
    Scope,
    Subscription,
    Team,
    default_scopes,
)
from plans.notifications import services as notification_services
from plans.states import DomainError


class ReadOnlyInline(admin.options.InlineModelAdmin):
    """An inline that shows rows and never adds or deletes them (its fields are read-only)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApiTokenInline(ReadOnlyInline, admin.TabularInline):
    model = ApiToken
    fields = ("prefix", "name", "created_at", "last_used_at", "revoked_at")
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


class ApproverGroupInline(admin.TabularInline):
    model = ApproverGroup
    extra = 0
    filter_horizontal = ("members",)
    fields = ("name", "escalation_rank", "members")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "separate_duties", "required_approvals", "created_at")
    search_fields = ("name",)
    inlines = [MembershipInline, ApproverGroupInline, ApiTokenInline]

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "monthly_budget" in form.changed_data:
            # A raised monthly budget lets the plans it held go on (plans/budgets/).
            with transaction.atomic():
                budget_services.team_holds_release(
                    team=obj, actor=services.Actor.for_admin_site(request.user)
                )


class ApiTokenForm(forms.ModelForm):
    """The token form, with its scopes as checkboxes: narrowing a token's scopes takes effect
    on its next request."""

    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=default_scopes,
        help_text="What the token may do. New tokens: submit and read.",
    )

    class Meta:
        model = ApiToken
        fields = ("team", "name", "scopes", "agent_role")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = (
        "prefix",
        "team",
        "name",
        "scope_list",
        "agent_role",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("team",)
    search_fields = ("prefix", "name", "team__name")
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("team", "name", "scopes", "agent_role")
        return (
            "team",
            "name",
            "scopes",
            "agent_role",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        )

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes) or "none"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("team", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")

    # The secret of a token created in this request, from save_model to response_add. It is never
    # put in a cookie, the session or the messages framework: those travel with later requests and
    # end up in logs. Held per request (not on this admin, which all threads share) and forgotten
    # with the request.
    _new_secrets: weakref.WeakKeyDictionary[HttpRequest, str] = weakref.WeakKeyDictionary()

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = services.token_create(
            team=obj.team, name=obj.name, created_by=request.user, scopes=list(obj.scopes)
        )
        # The role the team's policy permissions match it by (plans/policy/).
        ApiToken.objects.filter(pk=token.pk).update(agent_role=obj.agent_role)
        obj.pk = token.pk
        obj.prefix = token.prefix
        self._new_secrets[request] = secret

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        """Show the new token's secret once, in this response's page: it is not stored, so it
        cannot be shown again."""
        secret = self._new_secrets.pop(request, None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "opts": self.opts,
            "token": obj,
            "secret": secret,
        }
        response = TemplateResponse(request, "admin/plans/apitoken/created.html", context)
        # The page holds the secret: no browser or proxy cache may keep a copy of it.
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


class PlanStepInline(ReadOnlyInline, admin.TabularInline):
    model = PlanStep
    fields = (
        "key",
        "title",
        "executor",
        "status",
        "attempts",
        "failure_class",
        "error",
        "skip_reason",
        "lease_owner",
    )
    show_change_link = True


class PlanningArtifactInline(ReadOnlyInline, admin.StackedInline):
    model = PlanningArtifact
    fields = ("title", "summary", "assumptions", "parameters", "proposed_plan", "created_at")


class PlanEventInline(ReadOnlyInline, admin.TabularInline):
    model = PlanEvent
    fields = ("id", "kind", "step_key", "actor", "data", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApprovalInline(ReadOnlyInline, admin.TabularInline):
    """Who approved which version of the plan or of a gate: a record, never edited here."""

    model = Approval
    fields = ("version", "step_key", "actor", "role", "source", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _run_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, items: Any, change: Any
) -> None:
    done, refused = 0, []
    for item in items:
        try:
            change(item)
            done += 1
        except DomainError as exc:
            refused.append(f"{item}: {exc}")
    if done:
        modeladmin.message_user(request, f"{done} done.")
    for message in refused:
        modeladmin.message_user(request, message, messages.ERROR)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "display_title",
        "team",
        "status",
        "version",
        "user_id",
        "topic_id",
        "created_at",
    )
    list_filter = ("status", "team")
    search_fields = ("title", "goal", "user_id", "topic_id")
    readonly_fields = [f.name for f in Plan._meta.fields]
    inlines = [PlanningArtifactInline, PlanStepInline, ApprovalInline, PlanEventInline]
    actions = ["approve", "cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Plans come from integrations through the API, where they are validated as a whole.
        return False

    @admin.action(description="Approve selected plans (as they are now)")
    def approve(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        actor = services.Actor.for_admin_site(request.user)
        _run_action(
            self,
            request,
            queryset,
            lambda p: services.plan_approve(plan=p, actor=actor, version=p.version),
        )

    @admin.action(description="Cancel selected plans")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        actor = services.Actor.for_admin_site(request.user)
        _run_action(
            self,
            request,
            queryset,
            lambda p: services.plan_cancel(plan=p, actor=actor, reason="cancelled in the admin"),
        )


@admin.register(PlanStep)
class PlanStepAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "plan",
        "executor",
        "status",
        "attempts",
        "failure_class",
        "lease_owner",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "failure_class", "executor")
    search_fields = ("key", "title", "plan__title")
    readonly_fields = [f.name for f in PlanStep._meta.fields] + ["depends_on"]
    actions = ["skip"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Skip selected steps")
    def skip(self, request: HttpRequest, queryset: QuerySet[PlanStep]) -> None:
        actor = services.Actor.for_admin_site(request.user)
        _run_action(
            self,
            request,
            queryset.select_related("plan"),
            lambda s: services.step_skip(
                plan=s.plan, key=s.key, actor=actor, reason="skipped in the admin"
            ),
        )


@admin.register(PlanEvent)
class PlanEventAdmin(admin.ModelAdmin):
    list_display = ("id", "plan", "kind", "step_key", "actor", "created_at")
    list_filter = ("kind",)
    search_fields = ("plan__title", "step_key", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExecutorCircuit)
class ExecutorCircuitAdmin(admin.ModelAdmin):
    """Circuit breakers, as the workers keep them; closing one by hand is the only change."""

    list_display = (
        "executor",
        "team",
        "state_now",
        "consecutive_failures",
        "open_until",
        "last_error",
    )
    list_filter = ("team",)
    readonly_fields = [f.name for f in ExecutorCircuit._meta.fields]
    actions = ["close"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="state")
    def state_now(self, circuit: ExecutorCircuit) -> str:
        return selectors.circuit_state(circuit)

    @admin.action(description="Close selected circuits (their steps run again now)")
    def close(self, request: HttpRequest, queryset: QuerySet[ExecutorCircuit]) -> None:
        closed = [str(c.executor) for c in queryset if services.circuit_close(circuit_id=c.pk)]
        self.message_user(request, f"{len(closed)} closed: {', '.join(closed) or 'none'}.")


# --- Notifications ------------------------------------------------------------------------------


class SubscriptionForm(forms.ModelForm):
    types = forms.MultipleChoiceField(
        choices=NotificationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all of them.",
    )

    class Meta:
        model = Subscription
        fields = ("team", "name", "channel", "target", "types", "approver_group", "user", "enabled")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            notification_services.check_subscription(
                channel=data.get("channel", ""),
                target=data.get("target", ""),
                types=list(data.get("types") or []),
                user=data.get("user"),
            )
        except notification_services.SubscriptionInvalid as exc:
            self.add_error("target", str(exc))
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = (
        "__str__",
        "team",
        "channel",
        "enabled",
        "disabled_at",
        "consecutive_failures",
        "created_at",
    )
    list_filter = ("channel", "enabled", "team")
    readonly_fields = ("consecutive_failures", "disabled_at", "last_error", "created_at")
    actions = ["reenable"]

    def response_add(
        self, request: HttpRequest, obj: Subscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        """Show a new webhook's signing secret once, on this page; the admin never shows it
        again."""
        if obj.channel != Channel.WEBHOOK:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "Subscription created",
            "opts": self.opts,
            "subscription": obj,
            "secret": obj.secret,
        }
        response = TemplateResponse(request, "admin/plans/subscription/created.html", context)
        # The page holds the secret: no browser or proxy cache may keep a copy of it.
        add_never_cache_headers(response)
        return response

    @admin.action(description="Re-enable selected subscriptions (reset their failure count)")
    def reenable(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        done = [
            sub
            for sub in queryset
            if notification_services.subscription_reenable(subscription_id=sub.pk)
        ]
        self.message_user(request, f"Re-enabled {len(done)} subscription(s).")


class DeliveryAttemptInline(ReadOnlyInline, admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "ok", "http_status", "error", "duration_ms", "worker")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    list_filter = ("status", "type", "subscription__channel")
    search_fields = ("delivery_id",)
    inlines = [DeliveryAttemptInline]
    fields = (
        "delivery_id",
        "subscription",
        "event",
        "type",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_owner",
        "lease_expires_at",
        "last_error",
        "created_at",
        "delivered_at",
        "payload",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Each concern's own admin pages register themselves on import.
from plans.catalog import admin as catalog_admin  # noqa: E402, F401
from plans.policy import admin as policy_admin  # noqa: E402, F401
