"""The ministry publishes rounds; nobody else can."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from survey.models import AuditLog, Round


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        session = client.session
        session["portal_login_at"] = __import__("time").time()
        session.save()
        return client
    return _login


def test_ministry_creates_a_round_for_every_active_organisation_then_opens_it(login, ministry, orgs, survey_version):
    c = login(ministry)
    deadline = (timezone.localtime() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(reverse("publish:round_new"), {"survey": survey_version.pk, "title": "第2回調査", "deadline": deadline,
                                              "scheme": "職業転換給付金制度（訓練手当）関係事務", "attribute": ""})
    rnd = Round.objects.get(title="第2回調査")
    assert r.status_code == 302 and rnd.status == "draft"
    assert rnd.targets.count() == len(orgs)
    page = c.get(reverse("publish:round_status", kwargs={"round_id": rnd.pk}))
    assert "公開すると" in page.content.decode()
    c.post(reverse("publish:round_status", kwargs={"round_id": rnd.pk}), {"confirm": "yes"})
    rnd.refresh_from_db()
    assert rnd.status == "open" and rnd.opened_at is not None
    rows = AuditLog.objects.filter(action="round_change", actor=ministry).order_by("id")
    assert [r.details.get("change", "created") for r in rows] == ["created", "status", "notices_requested"]


def test_a_deadline_in_the_past_is_refused_with_a_clear_message(login, ministry, survey_version):
    c = login(ministry)
    r = c.post(reverse("publish:round_new"), {"survey": survey_version.pk, "title": "x", "deadline": "2020-01-01T00:00",
                                              "scheme": "s"})
    assert "回答期限は現在より後の日時を指定してください。" in r.content.decode()
    assert not Round.objects.exists()


@pytest.mark.parametrize("who", ["kanagawa", "sagamihara"])
def test_officers_cannot_publish(login, cast, round_, who):
    c = login(cast[who])
    assert c.get(reverse("publish:round_list")).status_code == 403
    r = c.post(reverse("publish:round_status", kwargs={"round_id": round_.pk}), {"confirm": "yes"})
    assert r.status_code == 403
