"""The ministry starts a round from a previous one (page, confirmation, service); nobody else can."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from survey.engine import DEFINITIONS_DIR
from survey.models import AuditLog, Round, SurveyVersion
from survey.services.next_round import NotComparable, round_start_next
from survey.services.rounds import survey_version_load
from tests.cast import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def revised(db):
    return survey_version_load(DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml")[0]


def _form(survey, title="令和6年度調査"):
    deadline = (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    return {"survey": survey.pk, "title": title, "deadline": deadline,
            "scheme": "職業転換給付金制度（訓練手当）関係事務", "attribute": "前回から"}


def test_ministry_confirms_the_changes_then_starts_the_next_round(client, ministry, round_, revised):
    c = signed_in(client, ministry)
    url = reverse("publish:round_next", kwargs={"round_id": round_.pk})
    page = c.get(url)
    assert page.status_code == 200 and "前回の対象団体" in page.content.decode()
    confirm = c.post(url, _form(revised)).content.decode()
    assert 'data-testid="survey-changes"' in confirm
    assert "設問文の変更" in confirm and "③本人以外（事業主等）からの届出は無い。" in confirm
    assert "Q11" in confirm and "新しい項目" in confirm
    assert Round.objects.count() == 1  # nothing created before the confirmation
    done = c.post(url, {**_form(revised), "confirm": "yes"})
    rnd = Round.objects.exclude(pk=round_.pk).get()
    assert done.status_code == 302 and done["Location"] == reverse("publish:round_status", kwargs={"round_id": rnd.pk})
    assert rnd.previous_round == round_ and rnd.survey == revised and rnd.status == "draft"
    assert rnd.title == "令和6年度調査" and rnd.attribute == "前回から"
    row = AuditLog.objects.get(action="round_change", actor=ministry, details__started_from=round_.pk)
    assert row.target == f"round:{rnd.pk}" and row.details["targets"] == round_.targets.count()


def test_the_same_version_shows_no_changes(client, ministry, round_, survey_version):
    c = signed_in(client, ministry)
    page = c.post(reverse("publish:round_next", kwargs={"round_id": round_.pk}), _form(survey_version))
    assert 'data-testid="survey-unchanged"' in page.content.decode()


def test_targets_with_their_attribute_and_delegation_carry_over(round_, revised, ministry, orgs):
    round_.targets.filter(organization__code="142042").update(attribute="特定の管理情報", delegated=True)
    orgs["131016"].is_active = False  # e.g. merged since the last round
    orgs["131016"].save()
    rnd = round_start_next(previous=round_, survey=revised, title="次回", scheme=round_.scheme,
                           deadline=timezone.now() + dt.timedelta(days=9), acting_user=ministry)
    carried = {t.organization.code: t for t in rnd.targets.select_related("organization")}
    assert set(carried) == set(orgs) - {"131016"}
    assert carried["142042"].attribute == "特定の管理情報" and carried["142042"].delegated
    assert not carried["141500"].delegated and carried["141500"].attribute == ""


def test_another_survey_cannot_be_chosen(round_, ministry, survey_version):
    other = SurveyVersion.objects.create(code="other-survey", version="1", title="別の調査",
                                         definition=survey_version.definition, sha256="x")
    with pytest.raises(NotComparable):
        round_start_next(previous=round_, survey=other, title="x", scheme="s",
                         deadline=timezone.now() + dt.timedelta(days=9), acting_user=ministry)
    assert Round.objects.count() == 1


def test_the_form_offers_only_versions_of_the_same_survey(client, ministry, round_, revised, survey_version):
    SurveyVersion.objects.create(code="other-survey", version="1", title="別の調査",
                                 definition=survey_version.definition, sha256="x")
    c = signed_in(client, ministry)
    page = c.get(reverse("publish:round_next", kwargs={"round_id": round_.pk})).content.decode()
    assert "2024.1-demo" in page and "別の調査" not in page
    bad = c.post(reverse("publish:round_next", kwargs={"round_id": round_.pk}),
                 {**_form(revised), "survey": SurveyVersion.objects.get(code="other-survey").pk, "confirm": "yes"})
    assert bad.status_code == 200 and Round.objects.count() == 1


@pytest.mark.parametrize("who", ["kanagawa", "sagamihara"])
def test_only_the_ministry_starts_rounds(client, cast, round_, revised, who):
    c = signed_in(client, cast[who])
    url = reverse("publish:round_next", kwargs={"round_id": round_.pk})
    assert c.get(url).status_code == 403
    assert c.post(url, {**_form(revised), "confirm": "yes"}).status_code == 403
    assert Round.objects.count() == 1


def test_round_list_links_to_the_next_round_page(client, ministry, round_):
    page = signed_in(client, ministry).get(reverse("publish:round_list")).content.decode()
    assert reverse("publish:round_next", kwargs={"round_id": round_.pk}) in page
