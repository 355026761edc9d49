"""Manual reminders follow each organisation's effective deadline, not the round's: after the
round's deadline (or once it is closed) an organisation with an extension still accepting
answers, and not done, can be reminded; the others cannot."""
import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from survey import jobs
from survey.models import Job, RoundStatus
from survey.services import reminders as service
from survey.services.rounds import target_extend
from tests.reminders.conftest import login

pytestmark = pytest.mark.django_db

SAGAMIHARA_OFFICER = "officer@city.sagamihara.example.jp"


def confirm_url(rnd):
    return reverse("reminders_confirm", args=[rnd.pk])


def _extend(rnd, code, ministry, *, days=2):
    target = rnd.targets.select_related("round").get(organization__code=code)
    return target_extend(target=target, deadline=timezone.now() + dt.timedelta(days=days), reason="台風被害の対応のため",
                         acting_user=ministry)


@pytest.fixture
def closed_round(reminder_round, ministry):
    """reminder_round past its deadline and closed; 相模原市 (draft) and 横浜市 (submitted) extended."""
    reminder_round.deadline = timezone.now() - dt.timedelta(hours=1)
    reminder_round.status = RoundStatus.CLOSED
    reminder_round.save()
    _extend(reminder_round, "141500", ministry)
    _extend(reminder_round, "141003", ministry)
    return reminder_round


@pytest.mark.parametrize("status", [RoundStatus.OPEN, RoundStatus.CLOSED])
def test_after_the_deadline_only_the_extended_non_submitter_is_reminded(closed_round, ministry, status):
    closed_round.status = status
    closed_round.save()
    plan = service.reminder_plan(round=closed_round, user=ministry, filters=service.Filters())
    assert [user.email for _, user in plan.recipients] == [SAGAMIHARA_OFFICER]
    assert plan.accepts_answers


def test_a_closed_round_reminds_the_extended_organisation_with_its_deadline(
        closed_round, ministry, django_capture_on_commit_callbacks):
    client = login(ministry)
    page = client.get(confirm_url(closed_round))
    assert "1 団体の 1 名に送信します" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(closed_round), {"fingerprint": page.context["plan"].fingerprint})
    assert [m.to for m in mail.outbox] == [[SAGAMIHARA_OFFICER]]
    extended = closed_round.targets.get(organization__code="141500").extended_deadline
    assert f"{timezone.localtime(extended):%Y年%-m月%-d日}" in mail.outbox[0].body
    assert "延長後の期限、あと2日" in mail.outbox[0].body


def test_no_reminder_once_every_extension_ran_out(closed_round, ministry):
    closed_round.targets.update(extended_deadline=timezone.now() - dt.timedelta(minutes=1))
    plan = service.reminder_plan(round=closed_round, user=ministry, filters=service.Filters())
    assert not plan.accepts_answers and plan.recipients == []
    with pytest.raises(ValidationError) as error:
        service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    assert error.value.code == "not_open"


def test_the_job_skips_organisations_no_longer_accepting_answers(reminder_round, ministry):
    """Queued while the round was open; the round closed before it ran, 相模原市 extended."""
    plan = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    job = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    reminder_round.deadline = timezone.now() - dt.timedelta(hours=1)
    reminder_round.status = RoundStatus.CLOSED
    reminder_round.save()
    _extend(reminder_round, "141500", ministry)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    outcomes = {e["org"]: (e["status"], e.get("reason", "")) for e in job.result["entries"]}
    assert outcomes.pop("141500") == ("sent", "")
    assert set(outcomes.values()) == {("skipped", "closed")}
    assert [m.to for m in mail.outbox] == [[SAGAMIHARA_OFFICER]]
