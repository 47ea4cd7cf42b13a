import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0016_budget'),
    ]

    operations = [
        migrations.CreateModel(
            name='PlanTrace',
            fields=[
                ('plan', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='trace', serialize=False, to='plans.plan')),
                ('sent_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
