"""The lock-out case in a real browser: the locked pair reads when to try again, the officer
signs in from elsewhere, and an administrator lifts the lock on an accessible page."""
import re

import pytest
from playwright.sync_api import expect

from tests.cast import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_locked_pair_is_told_when_and_an_administrator_lifts_it(page, sagamihara, admin_user, settings,
                                                                 assert_accessible):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _submit(page, sagamihara.email, "wrong-password-123")
    _submit(page, sagamihara.email, PASSWORD)  # the right password, from the locked address
    expect(page.get_by_text(re.compile(r"\d+月\d+日 \d\d:\d\d 以降に再度お試しいただくか"))).to_be_visible()
    assert_accessible(page)

    log_in(page, admin_user)  # same address, another account: not locked (with the code step)
    page.goto("/manage/lockouts/")
    row = page.get_by_role("row").filter(has_text=sagamihara.email)
    expect(row).to_contain_text("127.0.0.1")
    assert_accessible(page)
    row.get_by_role("button", name=re.compile("解除する")).click()
    expect(page.get_by_text("ログインの停止を解除しました。")).to_be_visible()
    expect(page.get_by_text("停止中のログインはありません。")).to_be_visible()
