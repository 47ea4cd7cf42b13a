import django.db.models.deletion
import plans.models
from django.conf import settings
from django.db import migrations, models


def existing_tokens_keep_every_scope(apps, schema_editor):
    """Tokens made before scopes could do everything; they still can, until narrowed."""
    apps.get_model("plans", "ApiToken").objects.update(
        scopes=["plans:submit", "plans:read", "plans:decide"]
    )


def reviewer_is_browser(apps, schema_editor):
    apps.get_model("plans", "Plan").objects.filter(approved_via="reviewer").update(
        approved_via="browser"
    )


def browser_is_reviewer(apps, schema_editor):
    apps.get_model("plans", "Plan").objects.filter(approved_via="browser").update(
        approved_via="reviewer"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0008_event_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(default=plans.models.default_scopes),
        ),
        migrations.AddField(
            model_name="plan",
            name="required_approvals",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="plan",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="plan",
            name="submitted_by_token",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="plans.apitoken",
            ),
        ),
        migrations.AddField(
            model_name="planstep",
            name="approval_count",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="team",
            name="max_required_approvals",
            field=models.PositiveSmallIntegerField(default=5),
        ),
        migrations.AddField(
            model_name="team",
            name="required_approvals",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="team",
            name="separate_duties",
            field=models.BooleanField(
                default=False,
                help_text="The submitting token may not decide on its plan; whoever revised a plan may not approve it.",
            ),
        ),
        # Teams that exist keep their behaviour; new teams separate duties.
        migrations.AlterField(
            model_name="team",
            name="separate_duties",
            field=models.BooleanField(
                default=True,
                help_text="The submitting token may not decide on its plan; whoever revised a plan may not approve it.",
            ),
        ),
        migrations.RunPython(existing_tokens_keep_every_scope, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="plan",
            name="approved_via",
            field=models.CharField(
                blank=True,
                choices=[
                    ("browser", "Reviewer in the browser"),
                    ("token", "API token"),
                    ("slack", "Slack"),
                    ("email", "Email link"),
                    ("policy", "Policy"),
                    ("timeout", "Deadline passed"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(reviewer_is_browser, browser_is_reviewer),
        migrations.AlterField(
            model_name="planevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("plan.created", "Plan created"),
                    ("plan.approved", "Plan approved"),
                    ("plan.started", "Plan started"),
                    ("plan.completed", "Plan completed"),
                    ("plan.failed", "Plan failed"),
                    ("plan.cancelled", "Plan cancelled"),
                    ("artifact.added", "Artifact added"),
                    ("step.started", "Step started"),
                    ("step.completed", "Step completed"),
                    ("step.failed", "Step failed"),
                    ("step.skipped", "Step skipped"),
                    ("step.retrying", "Step failed, will retry"),
                    ("step.reclaimed", "Step reclaimed (its worker was lost)"),
                    ("step.released", "Step released (its worker stopped)"),
                    ("step.expanded", "Step fanned out"),
                    ("plan.restored", "Plan restored from a checkpoint"),
                    ("plan.changes_requested", "Changes requested"),
                    ("comment.added", "Comment added"),
                    ("step.awaiting_approval", "Step awaits approval"),
                    ("step.approved", "Step approved"),
                    ("plan.revised", "Plan revised"),
                    ("plan.needs_attention", "Plan needs attention (a step failed)"),
                    ("plan.resumed", "Plan resumed after a rescue"),
                    ("step.retried", "Step retried by a reviewer"),
                    ("approval.recorded", "Approval recorded"),
                    ("deadline.soon", "Decision deadline soon"),
                    ("deadline.extended", "Decision deadline extended"),
                    ("decision.escalated", "Decision escalated"),
                    ("decision.timed_out", "Decision deadline passed"),
                ],
                max_length=40,
            ),
        ),
        migrations.CreateModel(
            name="ApproverGroup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.SlugField(max_length=100)),
                ("escalation_rank", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "members",
                    models.ManyToManyField(
                        blank=True, related_name="approver_groups", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="approver_groups",
                        to="plans.team",
                    ),
                ),
            ],
            options={
                "ordering": ["team", "name"],
            },
        ),
        migrations.AddField(
            model_name="plan",
            name="approver_group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="plans.approvergroup",
            ),
        ),
        migrations.AddField(
            model_name="planstep",
            name="approval_group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="plans.approvergroup",
            ),
        ),
        # Members had no roles: the team's member table becomes Membership's, as it is, and
        # then gains a role (every member so far could decide, so: reviewer).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.AutoField(primary_key=True, serialize=False),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="plans.team",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "plans_team_members",
                        "ordering": ["team", "user"],
                        "unique_together": {("team", "user")},
                    },
                ),
                migrations.AlterField(
                    model_name="team",
                    name="members",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="teams",
                        through="plans.Membership",
                        through_fields=("team", "user"),
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("viewer", "Viewer (reads)"),
                    ("reviewer", "Reviewer (decides)"),
                    ("admin", "Admin (decides, manages members, tokens and rules)"),
                ],
                default="reviewer",
                max_length=10,
            ),
        ),
        migrations.CreateModel(
            name="Approval",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("step_key", models.CharField(blank=True, max_length=200)),
                ("version", models.PositiveIntegerField()),
                ("actor", models.CharField(max_length=200)),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("browser", "Reviewer in the browser"),
                            ("token", "API token"),
                            ("slack", "Slack"),
                            ("email", "Email link"),
                            ("policy", "Policy"),
                            ("timeout", "Deadline passed"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("viewer", "Viewer (reads)"),
                            ("reviewer", "Reviewer (decides)"),
                            ("admin", "Admin (decides, manages members, tokens and rules)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="approvals",
                        to="plans.plan",
                    ),
                ),
                (
                    "token",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="plans.apitoken",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["plan", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("plan", "step_key", "version", "actor"),
                        name="plans_approval_once_per_actor",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="approvergroup",
            constraint=models.UniqueConstraint(
                fields=("team", "name"), name="plans_group_name_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="approvergroup",
            constraint=models.UniqueConstraint(
                fields=("team", "escalation_rank"), name="plans_group_rank_unique"
            ),
        ),
        migrations.AddField(
            model_name="planevent",
            name="role",
            field=models.CharField(
                blank=True,
                choices=[
                    ("viewer", "Viewer (reads)"),
                    ("reviewer", "Reviewer (decides)"),
                    ("admin", "Admin (decides, manages members, tokens and rules)"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="planevent",
            name="source",
            field=models.CharField(
                blank=True,
                choices=[
                    ("browser", "Reviewer in the browser"),
                    ("token", "API token"),
                    ("slack", "Slack"),
                    ("email", "Email link"),
                    ("policy", "Policy"),
                    ("timeout", "Deadline passed"),
                ],
                max_length=20,
            ),
        ),
    ]
