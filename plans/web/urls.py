from __future__ import annotations

from django.urls import path

from plans.web import rescue, views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="detail"),
    path("plans/<uuid:plan_id>/approve", views.plan_approve, name="approve"),
    path("plans/<uuid:plan_id>/cancel", views.plan_cancel, name="cancel"),
    path("plans/<uuid:plan_id>/steps/<str:key>/skip", views.step_skip, name="skip"),
    # The pages' skip form: the key is in the body, as keys may hold "/" or be "..".
    path("plans/<uuid:plan_id>/skip", views.step_skip, name="skip_step"),
    path("plans/<uuid:plan_id>/live", views.plan_live, name="live"),
    path("plans/<uuid:plan_id>/rescue/retry", rescue.step_retry, name="rescue_retry"),
    path("plans/<uuid:plan_id>/rescue/fail", rescue.plan_fail, name="rescue_fail"),
]
