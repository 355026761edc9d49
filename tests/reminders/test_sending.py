"""Confirming and sending: the job mails each recipient once, records failures, audits, throttles."""
import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from survey import jobs
from survey.models import AuditLog, Job, RoundStatus
from survey.services import reminders as service
from tests.reminders.conftest import STATES, expected_recipients, login

pytestmark = pytest.mark.django_db


def confirm_url(rnd, query=""):
    return reverse("reminders_confirm", args=[rnd.pk]) + (f"?{query}" if query else "")


def send_through_pages(client, rnd, capture, **filters):
    """Open the confirmation page as a user would, then press its button."""
    page = client.get(confirm_url(rnd, "&".join(f"{k}={v}" for k, v in filters.items())))
    with capture(execute=True):
        return client.post(confirm_url(rnd), {**filters, "fingerprint": page.context["plan"].fingerprint})


def addresses():
    return sorted(a for m in mail.outbox for a in m.to)


def test_confirmation_page_asks_before_sending(reminder_round, ministry):
    text = login(ministry).get(confirm_url(reminder_round)).content.decode()
    assert "4 団体の 4 名に送信します。よろしいですか" in text
    assert mail.outbox == [] and not Job.objects.filter(kind=service.JOB_KIND).exists()


def test_sending_without_confirmation_sends_nothing(reminder_round, ministry, django_capture_on_commit_callbacks):
    client = login(ministry)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(reminder_round), {})
    assert response.status_code == 302 and response["Location"].startswith(confirm_url(reminder_round))
    assert mail.outbox == [] and not Job.objects.filter(kind=service.JOB_KIND).exists()


def test_confirmation_is_void_when_the_recipients_changed(reminder_round, ministry, chiyoda,
                                                          django_capture_on_commit_callbacks):
    client = login(ministry)
    fingerprint = client.get(confirm_url(reminder_round)).context["plan"].fingerprint
    chiyoda.is_active = False
    chiyoda.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(reminder_round), {"fingerprint": fingerprint})
    assert mail.outbox == []


def test_ministry_sends_to_every_reachable_non_submitter(reminder_round, ministry, django_capture_on_commit_callbacks):
    response = send_through_pages(login(ministry), reminder_round, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind=service.JOB_KIND)
    assert response["Location"] == reverse("reminders_job", args=[reminder_round.pk, job.pk])
    assert addresses() == sorted(a for emails in expected_recipients(STATES).values() for a in emails)
    assert job.status == Job.Status.DONE and job.progress == job.total == 4
    sagamihara = next(m for m in mail.outbox if m.to == ["officer@city.sagamihara.example.jp"])
    assert "14神奈川県相模原市" in sagamihara.subject and reminder_round.title in sagamihara.subject
    assert "回答の状況: 下書き" in sagamihara.body and "厚生労働省の依頼" in sagamihara.body
    assert f"あと{reminder_round.days_left}日" in sagamihara.body
    page = login(ministry).get(response["Location"]).content.decode()
    assert "送信済 4 名、送信失敗 0 名、送信せず 0 名" in page


def test_prefecture_officer_mail_names_the_prefecture(reminder_round, kanagawa, django_capture_on_commit_callbacks):
    send_through_pages(login(kanagawa), reminder_round, django_capture_on_commit_callbacks)
    assert addresses() == ["officer@city.sagamihara.example.jp"]
    assert "神奈川県の依頼" in mail.outbox[0].body


def test_sending_is_audited(reminder_round, ministry, django_capture_on_commit_callbacks):
    send_through_pages(login(ministry), reminder_round, django_capture_on_commit_callbacks, status="draft")
    requested = AuditLog.objects.get(details__change="reminders_requested")
    assert requested.action == AuditLog.Action.REMINDER
    assert requested.actor == ministry and requested.details["recipients"] == 1
    assert requested.ip == "127.0.0.1"
    sent = AuditLog.objects.get(details__change="reminder_sent")
    assert sent.organization.code == "141500" and sent.details["recipient"] == "officer@city.sagamihara.example.jp"
    assert sent.details["outcome"] == "sent" and sent.actor == ministry


def _interrupt_after(monkeypatch, n):
    """send_mail that delivers `n` mails, then the worker dies (a BaseException, not a failure)."""
    real = service.send_mail
    calls = []

    def send(*args, **kwargs):
        calls.append(args[3])
        if len(calls) > n:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "send_mail", send)


def test_a_resumed_job_does_not_send_twice(reminder_round, ministry, monkeypatch):
    plan = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    job = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    _interrupt_after(monkeypatch, 2)
    with pytest.raises(SystemExit):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.progress == 2 and len(mail.outbox) == 2
    monkeypatch.undo()
    jobs.run_job(job.pk, steal=True)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert addresses() == sorted(a for emails in expected_recipients(STATES).values() for a in emails)
    assert jobs.run_job(job.pk) is None  # finished: a late redelivery does nothing
    assert len(mail.outbox) == 4


def test_a_failed_recipient_is_recorded_and_the_others_go_on(reminder_round, ministry, monkeypatch):
    real = EmailBackend.send_messages

    def refuse_tokyo(self, messages):
        if any("tokyo" in a for m in messages for a in m.to):
            raise smtplib.SMTPRecipientsRefused({"officer@metro.tokyo.example.jp": (550, b"no such user")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_tokyo)
    plan = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    job = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    outcomes = {e["email"]: e["status"] for e in job.result["entries"]}
    assert outcomes.pop("officer@metro.tokyo.example.jp") == "failed"
    assert set(outcomes.values()) == {"sent"} and len(mail.outbox) == 3
    assert job.status == Job.Status.DONE
    page = login(ministry).get(reverse("reminders_job", args=[reminder_round.pk, job.pk])).content.decode()
    assert "送信失敗" in page and "SMTPRecipientsRefused" in page
    assert AuditLog.objects.filter(details__outcome="failed", organization__code="130001").exists()


def test_an_organisation_is_not_reminded_twice_within_24_hours(reminder_round, ministry):
    first = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters(status="draft"))
    job = service.reminders_send(plan=first, fingerprint=first.fingerprint, acting_user=ministry)
    jobs.run_job(job.pk)
    again = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    assert [row.organization.code for row in again.recent] == ["141500"]
    assert "141500" not in {row.organization.code for row in again.to_send}
    page = login(ministry).get(reverse("reminders", args=[reminder_round.pk])).content.decode()
    assert "最終督促: " in page
    forced = service.reminder_plan(round=reminder_round, user=ministry,
                                   filters=service.Filters(include_recent=True))
    assert "141500" in {row.organization.code for row in forced.to_send}
    # a day later it is due again
    job.refresh_from_db()
    job.result["entries"][0]["at"] = (timezone.now() - dt.timedelta(hours=25)).isoformat()
    job.save()
    later = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    assert "141500" in {row.organization.code for row in later.to_send}


def test_two_jobs_queued_together_do_not_both_mail(reminder_round, ministry):
    plan = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters(status="draft"))
    first = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    second = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    jobs.run_job(first.pk)
    jobs.run_job(second.pk)
    second.refresh_from_db()
    assert len(mail.outbox) == 1
    assert second.result["entries"][0]["status"] == "skipped" and second.result["entries"][0]["reason"] == "recent"


def test_an_organisation_that_submits_meanwhile_is_skipped(reminder_round, ministry, orgs):
    from survey.services.responses import response_save
    from tests.aggregation.conftest import SAGAMIHARA, respondent

    plan = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters(status="draft"))
    job = service.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=ministry)
    target = reminder_round.targets.select_related("round__survey", "organization").get(organization__code="141500")
    response_save(target=target, answers=SAGAMIHARA, respondent=respondent(orgs["141500"]), acting_user=None,
                  submit=True)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert mail.outbox == [] and job.result["entries"][0]["reason"] == "submitted"


def test_no_reminders_for_a_closed_round(reminder_round, ministry, django_capture_on_commit_callbacks):
    reminder_round.status = RoundStatus.CLOSED
    reminder_round.save()
    client = login(ministry)
    assert "回答を受け付けていない" in client.get(confirm_url(reminder_round)).content.decode()
    plan = service.reminder_plan(round=reminder_round, user=ministry, filters=service.Filters())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(reminder_round), {"fingerprint": plan.fingerprint})
    assert mail.outbox == [] and not Job.objects.filter(kind=service.JOB_KIND).exists()
