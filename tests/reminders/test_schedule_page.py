"""The round's page of scheduled reminders: the steps, every send with its outcome, the ministry's edit."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from survey.models import AuditLog, ReminderSchedule
from survey.services import scheduled_reminders as service
from tests.reminders.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_round(reminder_round, settings):
    """Step 7 and today's digests sent (see tests/reminders/conftest.py for who is done)."""
    settings.REMINDER_DIGEST_HOUR = 0
    reminder_round.deadline = timezone.now() + dt.timedelta(days=6, hours=20)
    reminder_round.opened_at = timezone.now() - dt.timedelta(days=30)
    reminder_round.save()
    service.reminders_tick()
    return reminder_round


def page_url(rnd, query=""):
    return reverse("reminders_schedule", args=[rnd.pk]) + query


def test_ministry_sees_the_steps_and_every_send(sent_round, ministry):
    response = login(ministry).get(page_url(sent_round))
    text = response.content.decode()
    assert response.status_code == 200
    assert "期限の7日前" in text and "期限の3日前" in text and "期限の1日前" in text
    counts = {line["step"] or line["day"]: line for line in response.context["counts"]}
    assert (counts[7]["total"], counts[7]["sent"], counts[7]["skipped"]) == (5, 4, 1)
    assert sorted(s.organization.code for s in response.context["page"]) == [
        "130001", "130001", "131016", "140007", "140007", "141500", "142042"]
    assert "&lt;officer@city.sagamihara.example.jp&gt;" in text
    assert "有効な担当者の登録がありません" in text  # 鎌倉市


def test_the_list_filters_by_outcome(sent_round, ministry):
    page = login(ministry).get(page_url(sent_round, "?status=skipped")).context["page"]
    assert [s.organization.code for s in page] == ["142042"]


def test_a_prefecture_sees_its_own_sends_only_and_cannot_edit(sent_round, kanagawa):
    client = login(kanagawa)
    response = client.get(page_url(sent_round))
    assert {s.organization.prefecture_code for s in response.context["page"]} == {"14"}
    assert 'data-testid="save-schedule"' not in response.content.decode()
    assert client.post(page_url(sent_round), {"offsets": "1", "digest": ""}).status_code == 403
    assert not ReminderSchedule.objects.exists()


def test_a_municipal_officer_may_not_open_it(sent_round, sagamihara):
    assert login(sagamihara).get(page_url(sent_round)).status_code == 403


def test_ministry_edits_the_schedule(sent_round, ministry):
    client = login(ministry)
    response = client.post(page_url(sent_round), {"offsets": "14、5，2", "digest": ""})
    assert response.status_code == 302
    schedule = ReminderSchedule.objects.get(round=sent_round)
    assert (schedule.offsets, schedule.digest, schedule.updated_by) == ([14, 5, 2], False, ministry)
    assert AuditLog.objects.filter(action="reminder", details__change="schedule_set").exists()
    text = client.get(page_url(sent_round)).content.decode()
    assert "期限の14日前" in text and "都道府県への毎日の回答状況は送りません" in text


def test_a_bad_schedule_is_refused_on_the_page(sent_round, ministry):
    response = login(ministry).post(page_url(sent_round), {"offsets": "7, 七", "digest": "on"})
    assert response.status_code == 200 and "0〜90 の整数" in response.content.decode()
    assert not ReminderSchedule.objects.exists()


def test_the_dashboard_links_to_it(sent_round, kanagawa):
    text = login(kanagawa).get(reverse("aggregation:status", args=[sent_round.pk])).content.decode()
    assert page_url(sent_round) in text
