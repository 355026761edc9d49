"""Bring an already loaded linkage-2023.1 definition up to the file's guidance audience marks.

The file now says which guidance is for prefectures only, for the Excel sheet only, and which is
emphasised (before, the web form kept those ids in code). The rules themselves (items, options,
branching, risk) are unchanged; only these three presentation keys are added, and the stored
digest is recomputed as survey_version_load computes it, so `load_survey` keeps accepting the file.
"""
import hashlib
import json

from django.db import migrations

MARKS = {
    "cautious_choice": {"emphasis": True},
    "input_rules": {"channels": ["sheet"]},
    "delegation": {"org_kinds": ["prefecture"]},
}


def add_marks(apps, schema_editor):
    SurveyVersion = apps.get_model("survey", "SurveyVersion")
    for version in SurveyVersion.objects.filter(code="mynumber-linkage", version="2023.1"):
        data = version.definition
        for g in data.get("guidance", []):
            g.update(MARKS.get(g["id"], {}))
        version.definition = data
        version.sha256 = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        version.save(update_fields=["definition", "sha256"])


class Migration(migrations.Migration):
    dependencies = [("survey", "0007_delete_loginfailure")]
    operations = [migrations.RunPython(add_marks, migrations.RunPython.noop)]
