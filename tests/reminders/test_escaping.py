"""The mail shown on the reminder pages is text: markup in a round title or a name is escaped.

The mail templates render with autoescape off (a plain-text mail must not say &lt;), so what
they return must never reach an HTML page marked safe. Found by the outside attack of issue 8:
a ministry account titled a round `<script>…`, and the page ran it for whoever previewed it.
"""
import pytest
from django.urls import reverse

from tests.reminders.conftest import login

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile_round(reminder_round, cast, orgs):
    reminder_round.title = f"調査{SCRIPT}"
    reminder_round.save(update_fields=["title"])
    cast["sagamihara"].name = f"相模原{IMG}"
    cast["sagamihara"].save(update_fields=["name"])
    orgs["141500"].name = f"相模原市{SCRIPT}"
    orgs["141500"].save(update_fields=["name"])
    return reminder_round


@pytest.mark.parametrize("page", ["reminders", "reminders_confirm"])
def test_reminder_pages_escape_the_mail_preview(hostile_round, ministry, page):
    response = login(ministry).get(reverse(page, args=[hostile_round.pk]) + "?status=draft")
    text = response.content.decode()
    assert response.context["sample"]["to"] == "officer@city.sagamihara.example.jp"
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text


def test_the_mail_itself_stays_plain_text(hostile_round, ministry):
    from survey.services import reminders as service

    plan = service.reminder_plan(round=hostile_round, user=ministry, filters=service.Filters(status="draft"))
    row, user = plan.recipients[0]
    subject, body = service.reminder_message(round=hostile_round, organization=row.organization,
                                             status=row.status, user=user, sender=ministry)
    assert SCRIPT in subject and f"相模原{IMG} 様" in body
    assert "&lt;" not in body and "&quot;" not in body
    assert not hasattr(body, "__html__") and not hasattr(subject, "__html__")
