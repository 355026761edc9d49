"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION survey_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'survey_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER survey_auditlog_no_update BEFORE UPDATE OR DELETE ON survey_auditlog
    FOR EACH ROW EXECUTE FUNCTION survey_auditlog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS survey_auditlog_no_update ON survey_auditlog;
DROP FUNCTION IF EXISTS survey_auditlog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("survey", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
