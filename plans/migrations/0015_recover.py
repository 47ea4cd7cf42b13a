from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0014_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="planstep",
            name="run_executor",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="planstep",
            name="run_params",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="planstep",
            name="recoveries",
            field=models.JSONField(blank=True, default=list),
        ),
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
                    ("step.recovering", "Step recovering"),
                ],
                max_length=40,
            ),
        ),
    ]
