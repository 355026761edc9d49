"""The error pages in a real browser with DEBUG off: Japanese, with a way back, no detail."""
import pytest
from playwright.sync_api import expect

from tests.cast import PASSWORD
from tests.errors.error_urls import SECRET_DETAIL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def error_urls(settings):
    settings.ROOT_URLCONF = "tests.errors.error_urls"
    settings.DEBUG = False


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()


def test_404_page_is_japanese_and_leads_home(page, sagamihara, assert_accessible):
    log_in(page, sagamihara)
    response = page.goto("/rounds/999999/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("ページが見つかりません")
    assert_accessible(page)
    page.get_by_role("link", name="ホームへ").click()
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()


def test_403_page_gives_the_reason_and_the_previous_page(page, round_, sagamihara, assert_accessible):
    log_in(page, sagamihara)
    page.goto("/")
    page.evaluate("window.location.href = '/publish/rounds/'")  # a navigation that sends a Referer
    expect(page.get_by_role("heading", level=1)).to_have_text("このページを表示する権限がありません")
    expect(page.get_by_test_id("error-reason")).to_contain_text("調査回の管理は省庁職員のみ行えます。")
    assert_accessible(page)
    page.get_by_role("link", name="前のページへ").click()
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()


def test_500_page_is_japanese_without_detail(page, sagamihara, assert_accessible):
    log_in(page, sagamihara)
    response = page.goto("/test-only/error/")
    assert response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text("システムエラーが発生しました")
    assert SECRET_DETAIL not in page.content()
    assert_accessible(page)
    expect(page.get_by_role("link", name="ホームへ")).to_be_visible()
