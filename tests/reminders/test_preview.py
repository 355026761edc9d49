"""The reminders page: who will be e-mailed, who cannot be, and the mail's preview."""
import pytest

from tests.reminders.conftest import INACTIVE, STATES, expected_recipients, login

pytestmark = pytest.mark.django_db


def url(rnd, **query):
    from django.urls import reverse
    from django.utils.http import urlencode

    return reverse("reminders", args=[rnd.pk]) + (f"?{urlencode(query)}" if query else "")


def recipients_of(response) -> dict[str, list[str]]:
    plan = response.context["plan"]
    found: dict[str, list[str]] = {}
    for row, user in plan.recipients:
        found.setdefault(row.organization.code, []).append(user.email)
    return found


def test_ministry_sees_every_reachable_non_submitter_of_the_country(reminder_round, ministry):
    response = login(ministry).get(url(reminder_round))
    assert response.status_code == 200
    assert recipients_of(response) == expected_recipients(STATES)
    assert [row.organization.code for row in response.context["plan"].unreachable] == ["142042"]
    text = response.content.decode()
    assert "4</strong> 団体の <strong>4</strong> 名" in text
    assert INACTIVE not in text


def test_status_filter_narrows_to_drafts_or_not_started(reminder_round, ministry):
    client = login(ministry)
    drafts = recipients_of(client.get(url(reminder_round, status="draft")))
    assert drafts == expected_recipients(STATES, states=("draft",))
    not_started = recipients_of(client.get(url(reminder_round, status="not_started")))
    assert not_started == expected_recipients(STATES, states=("not_started",))


def test_ministry_narrows_by_prefecture_and_type(reminder_round, ministry):
    client = login(ministry)
    assert recipients_of(client.get(url(reminder_round, prefecture="13"))) == expected_recipients(["130001", "131016"])
    assert recipients_of(client.get(url(reminder_round, kind="special_ward"))) == expected_recipients(["131016"])


def test_kanagawa_officer_sees_only_kanagawa_municipalities(reminder_round, kanagawa):
    response = login(kanagawa).get(url(reminder_round))
    kanagawa_municipalities = [c for c in STATES if c.startswith("14") and c != "140007"]
    assert recipients_of(response) == expected_recipients(kanagawa_municipalities)
    assert [row.organization.code for row in response.context["plan"].unreachable] == ["142042"]
    assert "tokyo" not in response.content.decode() and "chiyoda" not in response.content.decode()


def test_preview_shows_the_japanese_mail(reminder_round, ministry):
    response = login(ministry).get(url(reminder_round, status="draft"))
    sample = response.context["sample"]
    assert sample["to"] == "officer@city.sagamihara.example.jp"
    assert reminder_round.title in sample["subject"] and "14神奈川県相模原市" in sample["subject"]
    body = sample["body"]
    assert "相模原 市郎 様" in body
    assert "回答の状況: 下書き" in body
    assert f"あと{reminder_round.days_left}日" in body
    assert "/accounts/login/" in body and f"/rounds/{reminder_round.pk}/orgs/141500/" in body
    assert "厚生労働省の依頼" in body and "自動送信" in body


def test_status_dashboard_links_to_the_reminders(reminder_round, ministry, kanagawa):
    from django.urls import reverse

    for user in (ministry, kanagawa):
        text = login(user).get(reverse("aggregation:status", args=[reminder_round.pk])).content.decode()
        assert "未提出団体に督促メールを送る" in text
        assert reverse("reminders", args=[reminder_round.pk]) in text
