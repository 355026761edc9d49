"""Long recipient lists: counts by prefecture, 50 organisations a page, the whole list confirmed."""
import re

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from survey.models import Job, Organization, RoundTarget, User
from survey.services import reminders as service
from tests.reminders.conftest import login

pytestmark = pytest.mark.django_db

EXTRA = 60  # more 東京都 towns than one page holds, each with one officer
REACHABLE = {"14": ["140007", "141500"], "13": ["130001", "131016"]}  # the cast's, by conftest.STATES


@pytest.fixture
def long_round(reminder_round):
    for n in range(EXTRA):
        org = Organization.objects.create(code=f"13{7000 + n:04d}", prefecture_code="13", prefecture_name="東京都",
                                          name=f"合成町{n}", kind="town")
        User.objects.create_user(f"o{n}@town.example.jp", None, name=f"担当{n}", role="officer", organization=org)
        RoundTarget.objects.create(round=reminder_round, organization=org)
    return reminder_round


def extra_codes():
    return [f"13{7000 + n:04d}" for n in range(EXTRA)]


def url(name, rnd, **query):
    return reverse(name, args=[rnd.pk]) + (f"?{urlencode(query)}" if query else "")


def shown(response) -> list[str]:
    return [row.organization.code for row in response.context["to_send_page"].object_list]


def test_preview_lists_fifty_a_page_and_every_organisation_once(long_round, ministry):
    client = login(ministry)
    first, second = (client.get(url("reminders", long_round, page=n)) for n in (1, 2))
    assert len(shown(first)) == 50 and len(shown(second)) == EXTRA + 4 - 50
    everyone = sorted(REACHABLE["14"] + REACHABLE["13"] + extra_codes())
    assert sorted(shown(first) + shown(second)) == everyone
    assert first.context["plan"].fingerprint == second.context["plan"].fingerprint
    assert len(first.context["plan"].recipients) == len(everyone)  # the confirmed list is never a page
    text = first.content.decode()
    assert "64</strong> 団体の <strong>64</strong> 名" in text
    assert text.count('<tr data-org="') == 50 + 1  # one page of recipients, plus 鎌倉市 (unreachable)


def test_counts_by_prefecture_cover_the_whole_list(long_round, ministry):
    response = login(ministry).get(url("reminders", long_round))
    lines = {line.code: (line.to_send, line.recipients, line.recent, line.unreachable)
             for line in response.context["by_prefecture"]}
    assert lines == {"13": (2 + EXTRA, 2 + EXTRA, 0, 0), "14": (2, 2, 0, 1), "": (4 + EXTRA, 4 + EXTRA, 0, 1)}
    row = re.search(r'<tr data-prefecture="13">(.*?)</tr>', response.content.decode(), re.S).group(1)
    assert "13 東京都" in row and f">{2 + EXTRA}<" in row


def test_page_links_keep_the_filters(long_round, ministry):
    response = login(ministry).get(url("reminders", long_round, prefecture="13", status="not_started"))
    assert shown(response)[:2] == ["130001", "131016"]
    text = response.content.decode()
    assert 'href="?prefecture=13&amp;status=not_started&amp;page=2#list-send">次へ</a>' in text
    second = login(ministry).get(url("reminders", long_round, prefecture="13", status="not_started", page=2))
    assert len(shown(second)) == 2 + EXTRA - 50
    assert 'href="?prefecture=13&amp;status=not_started&amp;page=1#list-send">前へ</a>' in second.content.decode()
    assert set(shown(second)) <= set(extra_codes())


def test_confirming_from_any_page_sends_to_the_whole_list(long_round, ministry):
    client = login(ministry)
    page = client.get(url("reminders_confirm", long_round, prefecture="13", page=2))
    assert len(shown(page)) == 2 + EXTRA - 50
    text = page.content.decode()
    assert f"{2 + EXTRA} 団体の {2 + EXTRA} 名に送信します" in text
    assert 'data-prefecture="13"' in text and 'href="?prefecture=13&amp;page=1#h-list">前へ</a>' in text
    fingerprint = page.context["plan"].fingerprint
    assert f'name="fingerprint" value="{fingerprint}"' in text
    client.post(url("reminders_confirm", long_round), {"prefecture": "13", "fingerprint": fingerprint})
    job = Job.objects.get(kind=service.JOB_KIND, round=long_round)
    assert job.total == 2 + EXTRA
    assert sorted({r["org"] for r in job.params["recipients"]}) == sorted(REACHABLE["13"] + extra_codes())


def test_an_out_of_range_page_shows_the_last_page(long_round, ministry):
    response = login(ministry).get(url("reminders", long_round, page=99))
    assert response.status_code == 200 and response.context["to_send_page"].number == 2
    assert login(ministry).get(url("reminders", long_round, page="x")).context["to_send_page"].number == 1
