"""The demo says how to sign in with the second factor, and `demo_totp` stands in for a phone."""
import base64
import io
import re

import pytest
from django.core.management import CommandError, call_command

from survey.services.demo import DEMO_PASSWORD
from tests.cast import BROWSER, totp

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--responses", "0", stdout=out)
    return out.getvalue()


def demo_code(email) -> str:
    out = io.StringIO()
    call_command("demo_totp", email, stdout=out)
    return re.search(r"確認コード: (\d{6})", out.getvalue()).group(1)


def sign_in(client, email):
    return client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD}, **BROWSER)


def test_seed_demo_prints_the_administrators_key_and_the_ministrys_enrolment(client):
    out = seed()
    key = re.search(r"キー ([A-Z2-7 ]+) を認証アプリに登録済み", out).group(1).replace(" ", "")
    assert "ministry@demo.example.jp: 初回ログインで認証アプリの登録画面" in out and "manage.py demo_totp" in out
    assert seed().count("キー ") == 1  # running it again keeps the same device and says the same

    # The printed key is the one the portal checks: a code computed here from it signs in.
    assert sign_in(client, "admin@demo.example.jp").url == "/accounts/two-factor/verify/?next=%2F"
    hex_key = base64.b32decode(key + "=" * (-len(key) % 8)).hex()
    assert client.post("/accounts/two-factor/verify/", {"code": totp(hex_key)}, **BROWSER).url == "/"
    assert client.get("/").status_code == 200


def test_demo_totp_gives_the_code_of_the_administrators_app(client):
    seed()
    sign_in(client, "admin@demo.example.jp")
    assert client.post("/accounts/two-factor/verify/", {"code": demo_code("admin@demo.example.jp")}).url == "/"
    # Again at once: the command skips the step just used, which the portal would refuse.
    client.post("/accounts/logout/")
    sign_in(client, "admin@demo.example.jp")
    assert client.post("/accounts/two-factor/verify/", {"code": demo_code("admin@demo.example.jp")}).url == "/"


def test_demo_totp_follows_the_ministrys_enrolment(client):
    seed()
    with pytest.raises(CommandError, match="登録画面を開いてから"):
        demo_code("ministry@demo.example.jp")
    assert sign_in(client, "ministry@demo.example.jp").url.startswith("/accounts/two-factor/setup/")
    client.get("/accounts/two-factor/setup/")
    response = client.post("/accounts/two-factor/setup/", {"code": demo_code("ministry@demo.example.jp")})
    assert response.url == "/accounts/two-factor/recovery-codes/"


def test_demo_totp_refuses_accounts_outside_the_demo(cast):
    with pytest.raises(CommandError, match="デモ用アカウントではありません"):
        demo_code(cast["ministry"].email)
