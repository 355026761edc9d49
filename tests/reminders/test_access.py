"""Who may remind whom: never a municipal officer, never another prefecture's organisations."""
import pytest
from django.core import mail
from django.urls import reverse

from survey.models import Job
from survey.services import reminders as service
from tests.reminders.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["sagamihara", "chiyoda"])
def test_municipal_officers_are_refused(reminder_round, cast, who):
    client = login(cast[who])
    for name in ("reminders", "reminders_confirm"):
        assert client.get(reverse(name, args=[reminder_round.pk])).status_code == 403
    assert client.post(reverse("reminders_confirm", args=[reminder_round.pk]), {"fingerprint": "x"}).status_code == 403
    assert not Job.objects.filter(kind=service.JOB_KIND).exists()


def test_kanagawa_officer_cannot_ask_for_tokyo(reminder_round, kanagawa):
    client = login(kanagawa)
    assert client.get(reverse("reminders", args=[reminder_round.pk]) + "?prefecture=13").status_code == 404
    assert client.post(reverse("reminders_confirm", args=[reminder_round.pk]), {"prefecture": "13"}).status_code == 404


def test_kanagawa_officer_cannot_email_tokyo_by_crafting_post(reminder_round, kanagawa, ministry,
                                                              django_capture_on_commit_callbacks):
    country = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    client = login(kanagawa)
    crafted = {"org": ["130001", "131016"], "user": ["1", "2"], "recipients": "130001:1", "kind": "special_ward",
               "fingerprint": country.fingerprint}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reminders_confirm", args=[reminder_round.pk]), crafted)
    assert mail.outbox == []  # the ministry's confirmation is not the officer's
    own = service.reminder_plan(round=reminder_round, user=kanagawa, filters=service.Filters())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reminders_confirm", args=[reminder_round.pk]), {**crafted, "kind": "",
                                                                             "fingerprint": own.fingerprint})
    assert {a for m in mail.outbox for a in m.to} == {"officer@city.sagamihara.example.jp"}


def test_reminder_job_page_is_for_its_creator(reminder_round, ministry, admin_user, kanagawa, tokyo):
    plan = service.reminder_plan(round=reminder_round, user=kanagawa, filters=service.Filters())
    job = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=kanagawa)
    page = reverse("reminders_job", args=[reminder_round.pk, job.pk])
    assert login(kanagawa).get(page).status_code == 200
    assert login(admin_user).get(page).status_code == 200
    assert login(tokyo).get(page).status_code == 404
    assert login(ministry).get(page).status_code == 404
    other = Job.objects.create(kind="sheet_import", round=reminder_round, created_by=kanagawa)
    assert login(kanagawa).get(reverse("reminders_job", args=[reminder_round.pk, other.pk])).status_code == 404
