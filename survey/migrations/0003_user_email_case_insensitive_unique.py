"""E-mail addresses are unique whatever their case (one account per address, decided by the database)."""
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("survey", "0002_audit_append_only")]
    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"), name="user_email_ci_unique"
            ),
        ),
    ]
