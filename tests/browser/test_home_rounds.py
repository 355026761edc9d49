"""Several rounds at once, in a real browser: both open rounds on the officer's home, each answerable."""
import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rounds(round_, survey_version, orgs):
    from survey.models import RoundStatus
    from survey.services.rounds import round_create

    def make(title, days):
        return round_create(survey=survey_version, title=title, deadline=timezone.now() + dt.timedelta(days=days),
                            scheme="職業転換給付金制度（訓練手当）関係事務", organizations=list(orgs.values()))

    second = make("第2回 追加調査（テスト）", 30)
    closed = make("前年度の調査（テスト）", 2)
    closed.deadline = timezone.now() - dt.timedelta(days=300)
    closed.status = RoundStatus.CLOSED
    closed.save()
    return round_, second, closed


def test_two_open_rounds_both_on_the_officer_home(page, rounds, sagamihara, assert_accessible):
    first, second, closed = rounds
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(sagamihara.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    current = page.get_by_test_id("current-rounds")
    expect(current.get_by_role("heading", level=3)).to_have_text([first.title, second.title])
    expect(page.get_by_test_id("closed-rounds")).to_contain_text(closed.title)
    assert_accessible(page)
    # Each open round has its own way in.
    page.locator(f"[data-testid='home-round'][data-round='{second.pk}']").get_by_role("link", name="回答する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("回答の入力")
    expect(page.get_by_text(second.title).first).to_be_visible()


def test_prefecture_home_lists_both_rounds_with_dashboards_and_reminders(page, rounds, kanagawa,
                                                                      assert_accessible):
    first, second, _ = rounds
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(kanagawa.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_test_id("home-municipalities")).to_have_count(2)
    expect(page.get_by_test_id("count-breakdown").first).to_have_text("管内 3 市区町村 + 県 1")
    assert_accessible(page)
    page.get_by_test_id("home-municipalities").nth(1).get_by_role("link", name="未提出団体への督促メール").click()
    expect(page).to_have_url(f"{page.url.split('/rounds/')[0]}/rounds/{second.pk}/reminders/")
