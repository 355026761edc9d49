"""The menu: a prefecture officer reaches the dashboards and reminders from every page."""
import re

import pytest

from .conftest import login

pytestmark = pytest.mark.django_db


def menu(page):
    return re.search(r'<nav class="portal-nav".*?</nav>', page, re.S).group(0)


def test_prefecture_menu_reaches_status_dashboards_and_reminders(round_, kanagawa):
    client = login(kanagawa)
    nav = menu(client.get("/accounts/profile/").content.decode())
    links = {f"/rounds/{round_.pk}/": "管内の回答状況", f"/aggregation/rounds/{round_.pk}/status/": "集計",
             f"/rounds/{round_.pk}/reminders/": "督促メール"}
    for href, label in links.items():
        assert f'<a href="{href}">{label}</a>' in nav
        assert client.get(href).status_code == 200


def test_the_menu_marks_the_reminders_page_as_current(round_, kanagawa):
    nav = menu(login(kanagawa).get(f"/rounds/{round_.pk}/reminders/").content.decode())
    assert f'<a href="/rounds/{round_.pk}/reminders/" aria-current="page">督促メール</a>' in nav


def test_municipal_officer_menu_has_no_dashboards(round_, sagamihara):
    nav = menu(login(sagamihara).get("/").content.decode())
    assert "督促メール" not in nav and "/aggregation/" not in nav


def test_prefecture_menu_without_rounds_has_no_round_links(kanagawa):
    nav = menu(login(kanagawa).get("/").content.decode())
    assert "督促メール" not in nav


def test_the_menu_reads_its_round_without_the_survey_definition(round_, kanagawa):
    """The menu needs the round's id only: the survey version's definition (the whole questionnaire
    as JSON, decoded on every page a prefecture officer opened) is not read for it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(kanagawa)
    client.get("/accounts/profile/")  # the session's first refresh
    with CaptureQueriesContext(connection) as captured:
        nav = menu(client.get("/accounts/profile/").content.decode())
    assert f'<a href="/rounds/{round_.pk}/reminders/">督促メール</a>' in nav
    assert not [q["sql"] for q in captured.captured_queries if '"definition"' in q["sql"]]
