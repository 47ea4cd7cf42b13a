from __future__ import annotations

from django.urls import path

from plans.web import (
    budgets,
    confirm,
    deadlines,
    decisions,
    discussion,
    gates,
    inbox,
    inputs,
    planning,
    policy,
    rescue,
    revisions,
    team,
    views,
)

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("plans/new", planning.plan_propose_page, name="propose"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="detail"),
    path("plans/<uuid:plan_id>/approve", views.plan_approve, name="approve"),
    path("plans/<uuid:plan_id>/cancel", views.plan_cancel, name="cancel"),
    path("plans/<uuid:plan_id>/steps/<str:key>/skip", views.step_skip, name="skip"),
    # The pages' skip form: the key is in the body, as keys may hold "/" or be "..".
    path("plans/<uuid:plan_id>/skip", views.step_skip, name="skip_step"),
    path("plans/<uuid:plan_id>/live", views.plan_live, name="live"),
    # A gate's approval: the key is in the body, as for the skip form.
    path("plans/<uuid:plan_id>/gate", gates.gate_approve, name="gate_approve"),
    path("inbox", inbox.inbox, name="inbox"),
    path("inbox/approve", inbox.inbox_approve, name="inbox_approve"),
    path("inbox/count", inbox.inbox_count, name="inbox_count"),
    path("inbox/<uuid:plan_id>/cancel", inbox.inbox_cancel, name="inbox_cancel"),
    path("inbox/<uuid:plan_id>/skip", inbox.inbox_skip, name="inbox_skip"),
    path("plans/<uuid:plan_id>/edit", revisions.plan_edit, name="edit"),
    path("plans/<uuid:plan_id>/diff", revisions.plan_diff, name="diff"),
    path("plans/<uuid:plan_id>/comments", discussion.comment_add, name="comment"),
    path(
        "plans/<uuid:plan_id>/request-changes",
        discussion.plan_request_changes,
        name="request_changes",
    ),
    path("plans/<uuid:plan_id>/rescue/retry", rescue.step_retry, name="rescue_retry"),
    path("plans/<uuid:plan_id>/budget", budgets.budget_raise, name="budget_raise"),
    path("plans/<uuid:plan_id>/inputs", inputs.plan_inputs, name="inputs"),
    path("teams/<int:team_id>/settings/budget", budgets.team_budget_update, name="team_budget"),
    path("plans/<uuid:plan_id>/rescue/fail", rescue.plan_fail, name="rescue_fail"),
    # The links in notification emails: a page to confirm on, never an action by itself.
    path("plans/<uuid:plan_id>/confirm/<str:action>/", confirm.plan_confirm, name="confirm"),
    path("plans/<uuid:plan_id>/deadline", deadlines.deadline_extend_view, name="deadline_extend"),
    path("teams/<int:team_id>/decisions/", decisions.team_decisions, name="team_decisions"),
    path(
        "teams/<int:team_id>/decisions/export.csv",
        decisions.team_decisions_csv,
        name="team_decisions_csv",
    ),
    path("teams/<int:team_id>/settings/", team.team_settings, name="team_settings"),
    path("teams/<int:team_id>/settings/members", team.member_add, name="team_member_add"),
    path(
        "teams/<int:team_id>/settings/members/<int:membership_id>/role",
        team.member_role,
        name="team_member_role",
    ),
    path(
        "teams/<int:team_id>/settings/members/<int:membership_id>/remove",
        team.member_remove,
        name="team_member_remove",
    ),
    path("teams/<int:team_id>/settings/tokens", team.token_create, name="team_token_create"),
    path(
        "teams/<int:team_id>/settings/tokens/<int:token_id>/revoke",
        team.token_revoke,
        name="team_token_revoke",
    ),
    path("teams/<int:team_id>/settings/rules", team.rules_update, name="team_rules"),
    path("teams/<int:team_id>/settings/policy", policy.policy_update, name="team_policy"),
]
