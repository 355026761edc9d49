"""A database that loaded linkage-2023.1 before the guidance marks keeps accepting the file."""
import importlib

import pytest
from django.apps import apps

from survey.services.rounds import default_definition_path, survey_version_load

pytestmark = pytest.mark.django_db


def test_a_version_loaded_before_the_marks_matches_the_file_after_the_migration(survey_version):
    # As it was stored before: no audience keys, and the digest of that content.
    old = survey_version.definition
    for g in old["guidance"]:
        for key in ("org_kinds", "channels", "emphasis"):
            g.pop(key, None)
    survey_version.definition = old
    survey_version.sha256 = "0" * 64
    survey_version.save()

    migration = importlib.import_module("survey.migrations.0008_guidance_audience")
    migration.add_marks(apps, None)

    again, created = survey_version_load(default_definition_path())
    assert not created and again.pk == survey_version.pk
    delegation = next(g for g in again.engine.guidance if g.id == "delegation")
    assert not delegation.shown_to("municipality", "web")
