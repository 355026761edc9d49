"""Manual reminders and the status list treat 差し戻し中 as not done (campaign.md, Response table):
a returned response is offered, mailed with its open comments; an approved one is not.

The story is tests/reminders/conftest.py; 横浜市 (submitted there) is returned or approved here.
"""
import pytest
from django.core import mail
from django.urls import reverse

from survey.models import RoundStatus
from tests.reminders.conftest import login

pytestmark = pytest.mark.django_db
YOKOHAMA = "141003"
YOKOHAMA_MAIL = ["officer@city.yokohama.example.jp", "second@city.yokohama.example.jp"]


def _target(rnd, code):
    return rnd.targets.select_related("round__survey", "organization").get(organization__code=code)


@pytest.fixture
def returned(reminder_round, kanagawa):
    from survey.services.review import Anchor, NewComment, response_return

    response_return(target=_target(reminder_round, YOKOHAMA), acting_user=kanagawa, comments=[
        NewComment(Anchor("item", "7-2"), "確認方法の記載が不足しています。")])
    return reminder_round


def _send(client, rnd, capture, query=""):
    url = reverse("reminders_confirm", args=[rnd.pk]) + (f"?{query}" if query else "")
    page = client.get(url)
    data = dict(pair.split("=") for pair in query.split("&")) if query else {}
    with capture(execute=True):
        client.post(reverse("reminders_confirm", args=[rnd.pk]), {**data, "fingerprint": page.context["plan"].fingerprint})
    return page


def test_a_returned_organisation_is_offered_and_mailed_with_its_open_comments(
        returned, ministry, django_capture_on_commit_callbacks):
    client = login(ministry)
    text = client.get(reverse("reminders", args=[returned.pk])).content.decode()
    assert 'data-org="141003"' in text and "差し戻し中" in text
    summary = text.split('data-testid="recipient-summary">')[1].split("</p>")[0]
    # the 4 organisations of the story, and 横浜市 with its two officers
    assert summary.startswith("<strong>5</strong> 団体（うち差し戻し中 1 団体）の <strong>6</strong> 名")
    page = _send(client, returned, django_capture_on_commit_callbacks)
    assert "5 団体（うち差し戻し中 1 団体）の 6 名に送信します。よろしいですか" in page.content.decode()
    yokohama = [m for m in mail.outbox if m.to[0] in YOKOHAMA_MAIL]
    assert sorted(m.to[0] for m in yokohama) == YOKOHAMA_MAIL
    body = yokohama[0].body
    assert "回答の状況: 差し戻し中" in body and "差し戻されており" in body
    assert "・設問 7-2: 確認方法の記載が不足しています。" in body


def test_the_status_filter_can_pick_the_returned_ones(returned, ministry, django_capture_on_commit_callbacks):
    client = login(ministry)
    page = client.get(reverse("reminders", args=[returned.pk]) + "?status=returned")
    assert [row.organization.code for row in page.context["plan"].to_send] == [YOKOHAMA]
    assert '<option value="returned" selected>' in page.content.decode()


def test_an_approved_organisation_is_not_offered(reminder_round, kanagawa, ministry):
    from survey.services.review import response_approve

    response_approve(target=_target(reminder_round, YOKOHAMA), acting_user=kanagawa)
    plan = login(ministry).get(reverse("reminders", args=[reminder_round.pk])).context["plan"]
    codes = {row.organization.code for rows in (plan.to_send, plan.recent, plan.unreachable) for row in rows}
    assert YOKOHAMA not in codes and len(plan.to_send) == 4


def test_a_returned_organisation_no_longer_accepting_answers_is_not_offered(returned, ministry):
    returned.status = RoundStatus.CLOSED
    returned.save()
    plan = login(ministry).get(reverse("reminders", args=[returned.pk])).context["plan"]
    assert plan.to_send == [] and not plan.accepts_answers


def test_the_status_list_counts_and_lists_returned_as_not_submitted(returned, ministry):
    client = login(ministry)
    page = client.get(reverse("aggregation:status", args=[returned.pk]))
    text = page.content.decode()
    listed = [t.organization.code for t in page.context["page"]]
    assert YOKOHAMA in listed and page.context["page"].paginator.count == len(listed)
    row = text.split('data-org="141003"')[1].split("</tr>")[0]
    assert "差し戻し中" in row
    csv = b"".join(client.get(reverse("aggregation:status_csv", args=[returned.pk])).streaming_content)
    line = next(x for x in csv.decode("utf-8-sig").splitlines() if x.startswith(YOKOHAMA))
    assert "差し戻し中" in line
