"""Scheduled reminders: each step once per not-done organisation, the digest once a day, claims
that hold under concurrent ticks, and a dead sender's row never sent again.

The clock: every test moves the round's deadline relative to now (and its publication into the
past), which is what time passing does to the due computation.
"""
import datetime as dt
import os
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django.utils.safestring import SafeData

from survey.models import AuditLog, ReminderSchedule, ScheduledReminder
from survey.services import scheduled_reminders as service
from tests.reminders.conftest import STATES

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
Status = ScheduledReminder.Status
# Not done and reachable in the story of tests/reminders/conftest.py (written out by hand).
REMINDED = {"140007": ["officer@pref.kanagawa.example.jp"], "141500": ["officer@city.sagamihara.example.jp"],
            "130001": ["officer@metro.tokyo.example.jp"], "131016": ["officer@city.chiyoda.example.jp"]}


@pytest.fixture(autouse=True)
def _digest_from_midnight(settings):
    settings.REMINDER_DIGEST_HOUR = 0


def days_before_deadline(rnd, days: float):
    """Put `now` at `days` before the round's deadline, the round published a month ago."""
    rnd.deadline = timezone.now() + dt.timedelta(days=days)
    rnd.opened_at = timezone.now() - 30 * DAY
    rnd.save()
    return rnd


def days_left(rnd) -> int:
    """Calendar days (Asia/Tokyo) from today to the round's deadline, as a person would count them."""
    return (timezone.localdate(rnd.deadline) - timezone.localdate()).days


def step_mails():
    return sorted((m.to[0], m.subject) for m in mail.outbox if "管内" not in m.subject)


def rows(**filters):
    return sorted(ScheduledReminder.objects.filter(**filters).values_list("organization__code", "step", "status"))


@pytest.mark.parametrize(("before", "step"), [
    (7.5, None), (6.9, 7), (3.5, 7), (2.9, 3), (0.9, 1), (0.01, 1), (-0.01, None)])
def test_the_due_step_is_the_latest_whose_time_has_come(before, step):
    now = timezone.now()
    deadline = now + dt.timedelta(days=before)
    assert service.due_step(deadline=deadline, offsets=[7, 3, 1], opened_at=now - 30 * DAY, now=now) == step


def test_a_step_before_publication_never_fires():
    now = timezone.now()
    deadline = now + dt.timedelta(days=2)
    assert service.due_step(deadline=deadline, offsets=[7, 3], opened_at=now - DAY / 2, now=now) is None
    assert service.due_step(deadline=deadline, offsets=[7, 3, 1], opened_at=now - DAY, now=now + 1.5 * DAY) == 1


def test_each_step_reaches_each_not_done_organisation_once(reminder_round):
    days_before_deadline(reminder_round, 6.9)
    service.reminders_tick()
    service.reminders_tick()
    assert sorted(to for to, _ in step_mails()) == sorted(a for emails in REMINDED.values() for a in emails)
    assert rows(kind="step") == sorted([(code, 7, Status.SENT) for code in REMINDED] + [("142042", 7, Status.SKIPPED)])
    assert ScheduledReminder.objects.get(organization__code="142042").reason == "no_contact"
    assert not ScheduledReminder.objects.filter(organization__code="141003").exists()  # 横浜市 submitted

    mail.outbox.clear()
    days_before_deadline(reminder_round, 2.9)
    service.reminders_tick()
    service.reminders_tick()
    assert len(step_mails()) == len(REMINDED) and all(f"あと{days_left(reminder_round)}日" in subject
                                                      for _, subject in step_mails())
    assert [step for _, step, _ in rows(kind="step", organization__code="141500")] == [3, 7]


def test_the_mail_is_japanese_plain_text_with_the_state_and_deadline(reminder_round):
    days_before_deadline(reminder_round, 0.9)
    service.reminders_tick()
    message = next(m for m in mail.outbox if m.to == ["officer@city.sagamihara.example.jp"])
    assert not isinstance(message.body, SafeData) and not isinstance(message.subject, SafeData)
    assert "神奈川県相模原市" in message.subject
    assert ("あと1日" if days_left(reminder_round) else "本日が回答期限です") in message.subject
    assert "回答の状況: 下書き" in message.body and reminder_round.title in message.body
    assert f"/rounds/{reminder_round.pk}/orgs/141500/" in message.body


def test_an_organisation_that_submits_after_the_claim_is_not_reminded(reminder_round):
    from survey.services.responses import response_save
    from tests.aggregation.conftest import SAGAMIHARA, respondent

    days_before_deadline(reminder_round, 6.9)
    service.claim_due(rnd=reminder_round, now=timezone.now())
    target = reminder_round.targets.select_related("round__survey", "organization").get(organization__code="141500")
    response_save(target=target, answers=SAGAMIHARA, respondent=respondent(target.organization), acting_user=None,
                  submit=True)
    service.send_pending()
    row = ScheduledReminder.objects.get(organization__code="141500")
    assert (row.status, row.reason, row.state) == (Status.SKIPPED, "done", "submitted")
    assert "officer@city.sagamihara.example.jp" not in [m.to[0] for m in mail.outbox]


def test_the_edited_schedule_is_followed(reminder_round, ministry):
    service.reminder_schedule_set(round=reminder_round, offsets=service.parse_offsets("10、5"), digest=False,
                                  acting_user=ministry)
    days_before_deadline(reminder_round, 6.9)  # step 7 is no longer on the schedule; 10 is due
    service.reminders_tick()
    assert {step for _, step, _ in rows()} == {10}
    assert not ScheduledReminder.objects.filter(kind="digest").exists()
    assert ReminderSchedule.objects.get(round=reminder_round).offsets == [10, 5]
    assert AuditLog.objects.filter(action="reminder", details__change="schedule_set").count() == 1


@pytest.mark.parametrize(("text", "code"), [("7, x", "invalid_offset"), ("3,3", "duplicate_offset"),
                                            ("91", "invalid_offset"), ("１", "invalid_offset"),
                                            (",".join(str(n) for n in range(11)), "too_many_offsets")])
def test_bad_schedules_are_refused_with_a_code(text, code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        service.parse_offsets(text)
    assert code in [e.code for e in caught.value.error_list]


def test_prefectures_get_one_digest_a_day_of_their_municipalities(reminder_round):
    days_before_deadline(reminder_round, 5)  # step 7 and today's digest are due
    service.reminders_tick()
    service.reminders_tick()
    digests = {m.to[0]: m for m in mail.outbox if "管内" in m.subject}
    assert set(digests) == {"officer@pref.kanagawa.example.jp", "officer@metro.tokyo.example.jp"}
    kanagawa = digests["officer@pref.kanagawa.example.jp"].body
    assert "対象 3 団体" in kanagawa and "・提出済: 1 団体" in kanagawa and "・下書き: 1 団体" in kanagawa
    assert "141500 相模原市: 下書き" in kanagawa and "142042 鎌倉市: 未着手" in kanagawa and "横浜市" not in kanagawa
    assert rows(kind="digest") == [("130001", None, Status.SENT), ("140007", None, Status.SENT)]
    tomorrow = timezone.now() + DAY
    service.reminders_tick(now=tomorrow)
    assert ScheduledReminder.objects.filter(kind="digest").count() == 4


def test_no_digest_once_the_round_is_closed(reminder_round):
    days_before_deadline(reminder_round, -0.1)
    assert service.reminders_tick()["claimed"] == 0
    assert mail.outbox == []


def test_a_row_left_sending_by_a_dead_sender_is_never_sent_again(reminder_round):
    days_before_deadline(reminder_round, 6.9)
    service.claim_due(rnd=reminder_round, now=timezone.now())
    row = ScheduledReminder.objects.get(organization__code="141500")
    row.status, row.attempted_at, row.owner = Status.SENDING, timezone.now(), f"{os.uname().nodename}:999999999"
    row.save()
    counts = service.reminders_tick()
    row.refresh_from_db()
    assert counts["interrupted"] == 1 and row.status == Status.INTERRUPTED
    assert "officer@city.sagamihara.example.jp" not in [m.to[0] for m in mail.outbox]
    assert len(step_mails()) == len(REMINDED) - 1


def test_a_live_senders_row_is_left_alone(reminder_round):
    days_before_deadline(reminder_round, 6.9)
    service.claim_due(rnd=reminder_round, now=timezone.now())
    ScheduledReminder.objects.filter(organization__code="141500").update(
        status=Status.SENDING, attempted_at=timezone.now(), owner=f"{os.uname().nodename}:{os.getpid()}")
    assert service.mark_interrupted(now=timezone.now()) == 0
    assert service.mark_interrupted(now=timezone.now() + service.SENDING_LEASE + dt.timedelta(seconds=1)) == 1


def test_a_refused_mail_is_recorded_as_failed(reminder_round, settings):
    settings.EMAIL_BACKEND = "tests.reminders.mailboxes.RefusingBackend"
    days_before_deadline(reminder_round, 6.9)
    counts = service.reminders_tick()
    assert counts[Status.FAILED] == len(REMINDED) + 2  # and the two prefectures' digests
    assert ScheduledReminder.objects.filter(kind="step", status=Status.FAILED).count() == len(REMINDED)
    row = ScheduledReminder.objects.get(organization__code="141500")
    assert row.status == Status.FAILED and "SMTPRecipientsRefused" in row.error


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_claim_and_send_each_key_once(round_, orgs, cast):
    """Eight ticks at once (as many beats and workers would): every key is claimed and mailed once."""
    days_before_deadline(round_, 6.9)
    barrier, errors = threading.Barrier(8), []

    def tick():
        try:
            barrier.wait()
            service.reminders_tick()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = sorted(emails[0] for code, (state, emails) in STATES.items() if emails)  # nobody submitted
    assert sorted(m.to[0] for m in mail.outbox if "管内" not in m.subject) == expected
    assert ScheduledReminder.objects.filter(kind="step").count() == len(STATES)
    assert sorted(m.to[0] for m in mail.outbox if "管内" in m.subject) == [
        "officer@metro.tokyo.example.jp", "officer@pref.kanagawa.example.jp"]


def _target(rnd, code):
    return rnd.targets.select_related("round__survey", "organization").get(organization__code=code)


def test_a_returned_response_is_reminded_with_its_open_comments(reminder_round, kanagawa):
    from survey.services.review import Anchor, NewComment, response_return

    response_return(target=_target(reminder_round, "141003"), acting_user=kanagawa, comments=[
        NewComment(Anchor("item", "7-2"), "確認方法の記載が不足しています。")])
    days_before_deadline(reminder_round, 2.9)
    service.reminders_tick()
    yokohama = next(m for m in mail.outbox if m.to == ["officer@city.yokohama.example.jp",
                                                        "second@city.yokohama.example.jp"])
    assert "回答の状況: 差し戻し中" in yokohama.body and "差し戻されており" in yokohama.body
    assert "・設問 7-2: 確認方法の記載が不足しています。" in yokohama.body
    assert ScheduledReminder.objects.get(organization__code="141003").state == "returned"


def test_an_approved_response_is_not_reminded(reminder_round, kanagawa):
    from survey.services.review import response_approve

    response_approve(target=_target(reminder_round, "141003"), acting_user=kanagawa)
    days_before_deadline(reminder_round, 2.9)
    service.reminders_tick()
    assert not ScheduledReminder.objects.filter(organization__code="141003").exists()


def test_steps_count_from_each_organisations_extended_deadline(reminder_round, ministry):
    from survey.models import RoundStatus
    from survey.services.rounds import target_extend

    days_before_deadline(reminder_round, 6.9)
    target_extend(target=_target(reminder_round, "131016"), deadline=reminder_round.deadline + 10 * DAY,
                  reason="災害対応のため", acting_user=ministry)
    service.reminders_tick()
    assert "131016" not in {code for code, _, _ in rows(kind="step")}  # 千代田区: 16.9 days left

    # The round closes; 千代田区's extension runs 0.9 days more: its step 1 goes out, to it alone.
    reminder_round.status, reminder_round.deadline = RoundStatus.CLOSED, timezone.now() - dt.timedelta(hours=1)
    reminder_round.save()
    target = _target(reminder_round, "131016")
    target.extended_deadline = timezone.now() + dt.timedelta(days=0.9)
    target.save()
    mail.outbox.clear()
    service.reminders_tick()
    assert [to for to, _ in step_mails()] == ["officer@city.chiyoda.example.jp"]
    assert step_mails()[0][1].endswith(f"：{reminder_round.title}（13東京都千代田区）")
    assert ScheduledReminder.objects.get(organization__code="131016", step=1).deadline == target.extended_deadline


def test_the_command_runs_one_tick_and_a_second_run_sends_nothing(reminder_round):
    from io import StringIO

    from django.core.management import call_command

    days_before_deadline(reminder_round, 6.9)
    out = StringIO()
    call_command("send_scheduled_reminders", stdout=out)
    assert f"送信済 {len(REMINDED) + 2} 件" in out.getvalue()  # the steps and two prefectures' digests
    call_command("send_scheduled_reminders", stdout=out)
    assert "新たに送信対象 0 件、送信済 0 件" in out.getvalue().splitlines()[-1]
    assert len(mail.outbox) == len(REMINDED) + 2
