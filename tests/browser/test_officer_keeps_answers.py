"""Never lose what an officer typed, in a real browser.

- the session ends (its row deleted, as the idle timeout does) with answers typed but not saved:
  after signing in again the officer finds them, with a notice and a way to discard them;
- branching clears Q4/Q5 (Q3 ② after Q4/Q5 were answered) and 「元に戻す」 brings them back;
- the idle-timeout warning appears and 「ログインを続ける」 extends the session;
- leaving the form with unsaved changes asks first.
"""
import pytest
from playwright.sync_api import expect

from tests.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A function, not an expression: Playwright evaluates a bare expression with eval(), which the
# portal's CSP (no 'unsafe-eval') rightly refuses.
KEPT = "() => Object.keys(localStorage).some(k => k.startsWith('portal-draft:'))"


def log_in(page, user):
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def open_form(page, round_, user):
    page.goto("/accounts/login/")
    log_in(page, user)
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()
    page.goto(f"/rounds/{round_.pk}/orgs/{user.organization.code}/edit/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("回答の入力")


def item(page, item_id):
    return page.locator(f"[data-item='{item_id}']")


def choose(page, item_id, code):
    item(page, item_id).locator(f"input[value='{code}']").check()


def test_answers_typed_when_the_session_ends_are_back_after_signing_in(page, round_, sagamihara,
                                                                       assert_accessible):
    from django.contrib.sessions.models import Session

    from survey.models import Response

    open_form(page, round_, sagamihara)
    page.get_by_label("担当部署名").fill("福祉局 生活福祉課（保存前）")
    choose(page, "3", "1")
    choose(page, "4", "1")
    page.wait_for_function(KEPT)
    Session.objects.all().delete()  # the idle timeout, as the server sees it

    page.get_by_role("button", name="下書き保存").click()
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    assert not Response.objects.filter(round=round_).exists()
    log_in(page, sagamihara)

    expect(page.get_by_role("heading", level=1)).to_contain_text("回答の入力")
    expect(page.get_by_test_id("kept-notice")).to_contain_text("保存されていなかった入力内容を復元しました")
    expect(page.get_by_label("担当部署名")).to_have_value("福祉局 生活福祉課（保存前）")
    expect(item(page, "3").locator("input[value='1']")).to_be_checked()
    expect(item(page, "4")).to_be_visible()
    expect(item(page, "4").locator("input[value='1']")).to_be_checked()
    assert_accessible(page)

    page.get_by_role("button", name="下書き保存").click()
    expect(page.get_by_text("下書きを保存しました。")).to_be_visible()
    version = Response.objects.get(round=round_).current_version
    assert version.answers["3"] == "1" and version.answers["4"] == "1"
    assert version.respondent["担当部署名"] == "福祉局 生活福祉課（保存前）"
    # Saved: nothing kept any more, no notice when the form opens again.
    expect(page.get_by_test_id("kept-notice")).to_be_hidden()
    assert not page.evaluate(KEPT)


def test_kept_answers_can_be_discarded(page, round_, sagamihara):
    from django.contrib.sessions.models import Session

    open_form(page, round_, sagamihara)
    page.get_by_label("担当部署名").fill("捨てる入力")
    page.wait_for_function(KEPT)
    Session.objects.all().delete()
    page.reload()  # the session is gone: the login page, then back
    log_in(page, sagamihara)
    expect(page.get_by_label("担当部署名")).to_have_value("捨てる入力")
    page.get_by_role("button", name="復元した内容を破棄する").click()
    expect(page.get_by_label("担当部署名")).to_have_value("")
    expect(page.get_by_test_id("kept-notice")).to_contain_text("破棄しました")
    assert not page.evaluate(KEPT)


def test_undo_brings_back_answers_that_branching_cleared(page, round_, sagamihara, assert_accessible):
    open_form(page, round_, sagamihara)
    choose(page, "3", "1")
    choose(page, "4", "1")
    choose(page, "5", "2")
    choose(page, "3", "2")  # Q3 ② skips Q4 and Q5: their answers are cleared
    expect(item(page, "4")).to_be_hidden()
    expect(item(page, "5")).to_be_hidden()
    notice = page.get_by_test_id("cleared-notice")
    expect(notice).to_contain_text("Q4、Q5")
    assert_accessible(page)

    notice.get_by_role("button", name="元に戻す").click()
    expect(notice).to_contain_text("元に戻しました")
    expect(item(page, "3").locator("input[value='1']")).to_be_checked()
    expect(item(page, "3").locator("input[value='1']")).to_be_focused()
    expect(item(page, "4")).to_be_visible()
    expect(item(page, "4").locator("input[value='1']")).to_be_checked()
    expect(item(page, "5").locator("input[value='2']")).to_be_checked()


def test_the_timeout_warning_appears_and_continuing_extends_the_session(page, round_, sagamihara, settings,
                                                                         assert_accessible):
    from django.contrib.sessions.models import Session

    settings.SESSION_COOKIE_AGE = 120
    settings.SESSION_WARNING_SECONDS = 117  # warn three seconds after each page load
    open_form(page, round_, sagamihara)
    before = Session.objects.get().expire_date
    warning = page.get_by_role("alertdialog", name="まもなくログインの有効期限が切れます")
    expect(warning).to_be_visible(timeout=15_000)
    continue_button = warning.get_by_role("button", name="ログインを続ける")
    expect(continue_button).to_be_focused()
    assert_accessible(page)

    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()
    after = Session.objects.get().expire_date
    assert after > before
    expect(warning).to_be_visible(timeout=15_000)  # the renewed clock runs out again later


def test_when_the_session_has_ended_the_warning_leads_back_to_the_form(page, round_, sagamihara, settings):
    settings.SESSION_COOKIE_AGE = 4
    settings.SESSION_WARNING_SECONDS = 3
    open_form(page, round_, sagamihara)
    page.get_by_label("担当部署名").fill("期限切れの前の入力")
    ended = page.get_by_role("alertdialog")
    expect(ended).to_contain_text("ログインの有効期限が切れました", timeout=15_000)
    settings.SESSION_COOKIE_AGE = 30 * 60
    ended.get_by_role("link", name="もう一度ログインする").click()
    log_in(page, sagamihara)
    expect(page.get_by_label("担当部署名")).to_have_value("期限切れの前の入力")


def test_leaving_with_unsaved_changes_asks_first(page, round_, sagamihara):
    open_form(page, round_, sagamihara)
    page.get_by_label("担当部署名").fill("未保存")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("link", name="保存せずに戻る").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    expect(page.get_by_label("担当部署名")).to_have_value("未保存")


def test_the_deadline_nearing_is_announced_on_the_form(page, round_, sagamihara):
    import datetime as dt

    from django.utils import timezone

    round_.deadline = timezone.now() + dt.timedelta(minutes=10)
    round_.save()
    open_form(page, round_, sagamihara)
    warning = page.get_by_test_id("deadline-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("あと10分")
    expect(warning).to_contain_text("下書き保存")


def test_no_deadline_warning_while_the_deadline_is_far(page, round_, sagamihara):
    open_form(page, round_, sagamihara)
    page.wait_for_timeout(1500)
    expect(page.get_by_test_id("deadline-warning")).to_be_hidden()


def test_answers_typed_when_the_deadline_passes_survive_an_extension(page, round_, sagamihara):
    import datetime as dt

    from django.utils import timezone

    from survey.models import Response

    open_form(page, round_, sagamihara)
    page.get_by_label("担当部署名").fill("期限直前の入力")
    choose(page, "3", "2")
    page.wait_for_function(KEPT)
    round_.deadline = timezone.now() - dt.timedelta(minutes=1)  # the deadline passes, the page is open
    round_.save()
    page.get_by_role("button", name="下書き保存").click()
    notice = page.locator(".messages")
    expect(notice).to_contain_text("回答期限を過ぎているため")
    expect(notice).to_contain_text("このブラウザーに残っています")
    assert not Response.objects.filter(round=round_).exists()

    round_.deadline = timezone.now() + dt.timedelta(days=3)  # the ministry extends the deadline
    round_.save()
    page.goto(f"/rounds/{round_.pk}/orgs/141500/edit/")
    expect(page.get_by_test_id("kept-notice")).to_contain_text("復元しました")
    expect(page.get_by_label("担当部署名")).to_have_value("期限直前の入力")
    expect(item(page, "3").locator("input[value='2']")).to_be_checked()
