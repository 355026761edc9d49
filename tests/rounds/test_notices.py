"""Publishing tells every target's officers once (a resumable job); organisations without an
officer are listed by prefecture for their prefecture to relay."""
import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from survey import jobs
from survey.models import AuditLog, Job, RoundNotice, RoundStatus, User
from survey.services import notices as service
from tests.infra.requirements import require

from .conftest import REASON, login, target_of

# The cast's officers by organisation (鎌倉市 142042 has none): the truth, written out by hand.
OFFICERS = {
    "140007": "officer@pref.kanagawa.example.jp", "141003": "officer@city.yokohama.example.jp",
    "141500": "officer@city.sagamihara.example.jp", "130001": "officer@metro.tokyo.example.jp",
    "131016": "officer@city.chiyoda.example.jp",
}


def _draft(round_):
    round_.status = RoundStatus.DRAFT
    round_.save()
    return round_


def _to():
    return sorted(a for m in mail.outbox for a in m.to)


@pytest.fixture
def published(round_, cast, ministry):
    """round_ published by the ministry; the notice job created (not yet run)."""
    rnd, job = service.round_publish(round=_draft(round_), acting_user=ministry)
    return rnd, job


@pytest.mark.django_db
def test_publishing_tells_each_officer_once_with_their_deadline(published, ministry):
    rnd, job = published
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.progress == job.total == len(OFFICERS)
    assert _to() == sorted(OFFICERS.values())
    sagamihara = next(m for m in mail.outbox if m.to == [OFFICERS["141500"]])
    assert rnd.title in sagamihara.subject and "14神奈川県相模原市" in sagamihara.body
    assert f"/rounds/{rnd.pk}/orgs/141500/" in sagamihara.body
    assert sorted(RoundNotice.objects.values_list("email", flat=True)) == sorted(OFFICERS.values())
    assert AuditLog.objects.filter(details__change="notice_sent", details__outcome="sent").count() == len(OFFICERS)
    jobs.run_job(service.notices_send(round=rnd, acting_user=ministry).pk)  # again: nobody new
    assert len(mail.outbox) == len(OFFICERS)


@pytest.mark.django_db
def test_an_extended_organisation_is_told_its_own_deadline(round_, ministry, cast):
    import datetime as dt

    from django.utils import timezone

    from survey.services.rounds import target_extend

    _draft(round_)
    target_extend(target=target_of(round_, "141500"), deadline=round_.deadline + dt.timedelta(days=5), reason=REASON,
                  acting_user=ministry)
    rnd, job = service.round_publish(round=round_, acting_user=ministry)
    jobs.run_job(job.pk)
    body = next(m for m in mail.outbox if m.to == [OFFICERS["141500"]]).body
    extended = timezone.localtime(target_of(rnd, "141500").extended_deadline)
    assert f"{extended.year}年{extended.month}月{extended.day}日" in body and "延長後の期限" in body


@pytest.mark.django_db
def test_a_resumed_job_does_not_send_twice(published, monkeypatch):
    rnd, job = published
    real, calls = service.send_mail, []

    def dies_after_two(*args, **kwargs):
        calls.append(args[3])
        if len(calls) > 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "send_mail", dies_after_two)
    with pytest.raises(SystemExit):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and len(mail.outbox) == 2
    monkeypatch.undo()
    jobs.run_job(job.pk, steal=True)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and _to() == sorted(OFFICERS.values())


@pytest.mark.django_db
def test_a_refused_address_is_recorded_and_the_others_go_on(published, monkeypatch):
    rnd, job = published
    real = service.send_mail

    def refuse_tokyo(subject, body, sender, to, **kwargs):
        if "tokyo" in to[0]:
            raise OSError("550 no such user")
        return real(subject, body, sender, to, **kwargs)

    monkeypatch.setattr(service, "send_mail", refuse_tokyo)
    jobs.run_job(job.pk)
    failed = RoundNotice.objects.get(status=RoundNotice.Status.FAILED)
    assert failed.email == OFFICERS["130001"] and "550" in failed.error
    assert len(mail.outbox) == len(OFFICERS) - 1


@pytest.mark.django_db
def test_targets_added_while_open_are_told_and_nobody_twice(published, ministry, orgs):
    from survey.models import Organization

    rnd, job = published
    jobs.run_job(job.pk)
    extra = Organization.objects.create(code="142018", prefecture_code="14", prefecture_name="神奈川県",
                                        name="横須賀市", kana="ヨコスカシ", kind="city")
    User.objects.create_user("officer@city.yokosuka.example.jp", None, name="横須賀 市子", role="officer",
                             organization=extra)
    login(ministry).post(reverse("publish:round_targets_add", kwargs={"round_id": rnd.pk}),
                         {"codes": "142018", "confirm": "yes"})
    for pending in Job.objects.filter(kind=service.JOB_KIND, status=Job.Status.PENDING):
        jobs.run_job(pending.pk)
    assert _to() == sorted([*OFFICERS.values(), "officer@city.yokosuka.example.jp"])


# --- the page -----------------------------------------------------------------------------------


def _page(user, rnd):
    return login(user).get(reverse("round_notices", kwargs={"round_id": rnd.pk}))


@pytest.mark.django_db
def test_the_ministry_sees_who_was_told_and_who_has_no_officer_by_prefecture(published, ministry):
    rnd, job = published
    jobs.run_job(job.pk)
    page = _page(ministry, rnd).content.decode()
    assert 'data-prefecture="14"' in page and 'data-org="142042"' in page  # 鎌倉市: no officer
    for code in OFFICERS:
        assert f'<tr data-org="{code}">' in page
    assert 'data-testid="no-contact-count">1 団体' in page


@pytest.mark.django_db
def test_a_prefecture_sees_its_own_lists_only(published, kanagawa, tokyo, sagamihara):
    rnd, job = published
    jobs.run_job(job.pk)
    own = _page(kanagawa, rnd).content.decode()
    assert 'data-org="142042"' in own and '<tr data-org="141500">' in own
    assert '<tr data-org="131016">' not in own and 'data-prefecture="13"' not in own
    other = _page(tokyo, rnd).content.decode()
    assert 'data-org="142042"' not in other and '<tr data-org="131016">' in other
    assert _page(sagamihara, rnd).status_code == 403


@pytest.mark.django_db
def test_publishing_from_the_page_queues_the_notices(round_, ministry, django_capture_on_commit_callbacks):
    _draft(round_)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(ministry).post(reverse("publish:round_status", kwargs={"round_id": round_.pk}),
                                        {"confirm": "yes"})
    assert response["Location"] == reverse("round_notices", kwargs={"round_id": round_.pk})
    assert Job.objects.get(kind=service.JOB_KIND).status == Job.Status.DONE  # tasks run eagerly in tests
    assert len(mail.outbox) == 0  # the cast's officers were not created by this test


# --- under concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_job_never_tell_an_officer_twice(round_, cast, ministry, monkeypatch):
    """Two runners of one job at once (a redelivered task while the first still runs): the
    unique constraint makes the second wait on each row and skip it."""
    require("postgres")
    rnd, job = service.round_publish(round=_draft(round_), acting_user=ministry)
    real = service.send_mail

    def slow(*args, **kwargs):  # hold each row's transaction open while the other runner arrives
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "send_mail", slow)
    barrier, errors = threading.Barrier(2), []
    targets = {t.organization_id: t for t in rnd.targets.select_related("organization")}

    def runner():
        try:
            from django.db import transaction

            barrier.wait()
            for user in service.recipients(rnd):
                with transaction.atomic():
                    service.notify_one(job=job, target=targets[user.organization_id], user=user)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _to() == sorted(OFFICERS.values())
    assert RoundNotice.objects.count() == len(OFFICERS)
