"""Every URL of the project, tried as an officer of another municipality and of another prefecture.

Canary strings are planted in the victim organisation's data (answers, respondent, officer's
name and e-mail, a stored file name). No response to the intruders may contain one, and no
write may change the victim's response. A new URL pattern is swept automatically; a URL whose
arguments the sweep cannot fill makes the test fail, so nothing escapes it (tests/sweep.py).
"""
import time
import uuid

import pytest

from survey.middleware import LOGIN_TIME_KEY
from survey.models import Job, ResponseVersion, VersionSource
from survey.services.responses import response_save
from tests.sweep import urls

CANARY = "CANARY" + uuid.uuid4().hex[:12].upper()
PUBLIC = {"login", "logout", "password_reset", "password_reset_done", "password_reset_complete"}


def _victim_data(round_, victim_org, victim_user):
    target = round_.targets.get(organization=victim_org)
    answers = {"1-1": "2", "2": "1", "3": "2", "6": ["1"], "7-1": "1", "7-2": "2", "9": "1",
               "10": "2", "10:概要": f"事例 {CANARY}-answer"}
    respondent = {
        "組織区分": victim_org.section_label, "組織名": victim_org.display_name,
        "担当部署名": f"{CANARY}-dept", "回答責任者役職": "課長", "回答責任者氏名": f"{CANARY}-chief",
        "連絡先氏名": f"{CANARY}-contact", "電話番号": "042-754-1111", "メールアドレス": "canary@example.jp",
    }
    outcome = response_save(target=target, answers=answers, respondent=respondent, acting_user=victim_user,
                            submit=True, source=VersionSource.WEB)
    job = Job.objects.create(kind="sheet_import", round=round_, created_by=victim_user,
                             result={"entries": [{"file": f"{CANARY}.xlsx"}]})
    return outcome.version, job


def _victim_thread(target, victim_user, reviewer):
    """The victim's response returned with a comment and the officer's reply, both carrying the canary."""
    from survey.services.review import Anchor, NewComment, comment_reply, response_return

    (thread,) = response_return(target=target, acting_user=reviewer,
                                comments=[NewComment(Anchor("item", "7-2"), f"{CANARY}-comment")])
    comment_reply(target=target, thread=thread, body=f"{CANARY}-reply", acting_user=victim_user)
    return thread


def _login(client, user) -> None:
    client.force_login(user)
    session = client.session
    session[LOGIN_TIME_KEY] = time.time()
    session.save()


@pytest.mark.django_db
@pytest.mark.parametrize("intruder_name", ["yokohama", "chiyoda", "tokyo"])
def test_no_url_leaks_another_organisations_data(client, cast, round_, orgs, intruder_name, settings, tmp_path):
    from survey.services.attachments import attachments_add

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    victim_org, victim_user = orgs["141500"], cast["sagamihara"]
    victim_user.name = f"{CANARY}-officer"
    victim_user.save()
    version, job = _victim_data(round_, victim_org, victim_user)
    thread = _victim_thread(round_.targets.get(organization=victim_org), victim_user, cast["kanagawa"])
    attachment = attachments_add(target=round_.targets.get(organization=victim_org), purpose="procedure_document",
                                 files=[(f"{CANARY}-要領.txt", f"{CANARY}-content".encode())],
                                 acting_user=victim_user).added[0]
    ctx = {
        "round_id": round_.pk, "code": victim_org.code, "org_code": victim_org.code, "n": version.number,
        "number": version.number, "job_id": job.pk, "pk": job.pk, "user_id": victim_user.pk,
        "uidb64": "MQ", "token": "set-password", "snapshot_id": 1, "export_id": 1,
        "attachment_id": attachment.pk, "thread_id": thread.pk,
    }
    intruder = cast[intruder_name]  # another municipality, another prefecture's officers
    _login(client, intruder)
    leaks, swept = [], 0
    versions_before = ResponseVersion.objects.filter(response__organization=victim_org).count()
    for name, url in urls({key: [value] for key, value in ctx.items()}, sweep="access sweep"):
        for method in ("get", "post"):
            response = getattr(client, method)(url, follow=False)
            swept += 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if CANARY.encode() in body:
                leaks.append(f"{method.upper()} {url} ({name}) -> {response.status_code}")
        _login(client, intruder)  # a logout URL may have ended the session
    assert swept > 10
    assert leaks == [], "canary leaked:\n" + "\n".join(leaks)
    assert ResponseVersion.objects.filter(response__organization=victim_org).count() == versions_before
    attachment.refresh_from_db()
    assert attachment.removed_at is None
    assert thread.comments.count() == 2 and thread.response.review == "returned"
