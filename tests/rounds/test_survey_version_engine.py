"""A survey version's Definition is read once per process and shared, as are its HTML parts."""
import pytest

from survey.forms.questionnaire_html import definition_parts
from survey.models import SurveyVersion

pytestmark = pytest.mark.django_db


def test_every_fetch_of_a_version_shares_one_definition(survey_version):
    first = SurveyVersion.objects.get(pk=survey_version.pk).engine
    again = SurveyVersion.objects.get(pk=survey_version.pk).engine
    assert first is again
    assert definition_parts(first) is definition_parts(again)


def test_another_digest_is_read_again(survey_version):
    shared = SurveyVersion.objects.get(pk=survey_version.pk).engine
    changed = SurveyVersion.objects.get(pk=survey_version.pk)
    changed.definition["items"][0]["text"] = "変えた設問文"
    changed.sha256 = "0" * 64  # as a migration rewriting a version records its new content
    assert changed.engine is not shared
    assert changed.engine.items[0].text == "変えた設問文"
    assert shared.items[0].text != "変えた設問文"


def test_an_unsaved_version_is_read_from_its_own_content(survey_version):
    unsaved = SurveyVersion(code="x", version="1", title="t", definition=survey_version.definition, sha256="")
    assert unsaved.engine == survey_version.engine and unsaved.engine is not survey_version.engine
