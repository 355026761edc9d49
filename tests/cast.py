"""The fixed cast shared by all tests (a pytest plugin, loaded from tests/conftest.py).

- ministry: 厚生労働省の分析担当 (sees the whole country)
- admin: 管理者
- kanagawa: 神奈川県の担当者 (prefecture officer)
- sagamihara: 相模原市の担当者 (municipality in 神奈川県)
- yokohama: 横浜市の担当者 (another municipality in 神奈川県)
- tokyo: 東京都の担当者 (another prefecture)
- chiyoda: 千代田区の担当者 (a municipality of another prefecture)

Ministry staff and administrators sign in with a second factor. The login helpers sign them in
fully: `signed_in` / `login_as` (and any `Client.force_login`, see tests/conftest.py) give the user
the cast's TOTP device and mark the session verified (as django_otp.login does); `log_in` (browser) goes through the password and the code steps with
a code computed here from the key (RFC 6238, independently of django-otp). `post_login` is the
password step only, as a browser's first POST.
"""
import datetime as dt
import hashlib
import hmac
import struct
import time

import pytest
from django.utils import timezone

CAST_ORGS = {
    "140007": ("14", "神奈川県", "神奈川県", "カナガワケン", "prefecture"),
    "141003": ("14", "神奈川県", "横浜市", "ヨコハマシ", "designated_city"),
    "141500": ("14", "神奈川県", "相模原市", "サガミハラシ", "designated_city"),
    "142042": ("14", "神奈川県", "鎌倉市", "カマクラシ", "city"),
    "130001": ("13", "東京都", "東京都", "トウキョウト", "prefecture"),
    "131016": ("13", "東京都", "千代田区", "チヨダク", "special_ward"),
}
PASSWORD = "correct-horse-battery-staple-1"


def make_org(code):
    from survey.models import Organization

    pref, pref_name, name, kana, kind = CAST_ORGS[code]
    org, _ = Organization.objects.get_or_create(
        code=code,
        defaults=dict(prefecture_code=pref, prefecture_name=pref_name, name=name,
                      kana=kana, kind=kind),
    )
    return org


@pytest.fixture
def orgs(db):
    """The cast's organisations by code."""
    return {code: make_org(code) for code in CAST_ORGS}


@pytest.fixture
def survey_version(db):
    from survey.services.rounds import default_definition_path, survey_version_load

    version, _ = survey_version_load(default_definition_path())
    return version


@pytest.fixture
def round_(db, orgs, survey_version):
    """An open round with every cast organisation as a target, deadline in 14 days."""
    from survey.services.rounds import round_create

    return round_create(
        survey=survey_version, title="マイナンバー情報連携関係実態調査（テスト）",
        deadline=timezone.now() + dt.timedelta(days=14),
        scheme="職業転換給付金制度（訓練手当）関係事務", organizations=list(orgs.values()),
    )


_HASHES = {}


def _password_hash():
    """Argon2 is slow on purpose: hash the cast's password once per hasher, not once per user."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    key = settings.PASSWORD_HASHERS[0]
    if key not in _HASHES:
        _HASHES[key] = make_password(PASSWORD)
    return _HASHES[key]


def _user(email, name, role, org=None):
    from survey.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(email=email, password=_password_hash(), name=name, role=role, organization=org)
    return user


@pytest.fixture
def ministry(db):
    return _user("analyst@mhlw.example.jp", "厚労 分析", "ministry")


@pytest.fixture
def admin_user(db):
    return _user("admin@portal.example.jp", "管理 太郎", "admin")


@pytest.fixture
def kanagawa(orgs):
    return _user("officer@pref.kanagawa.example.jp", "神奈川 県子", "officer", orgs["140007"])


@pytest.fixture
def sagamihara(orgs):
    return _user("officer@city.sagamihara.example.jp", "相模原 市郎", "officer", orgs["141500"])


@pytest.fixture
def yokohama(orgs):
    return _user("officer@city.yokohama.example.jp", "横浜 浜子", "officer", orgs["141003"])


@pytest.fixture
def tokyo(orgs):
    return _user("officer@metro.tokyo.example.jp", "東京 都男", "officer", orgs["130001"])


@pytest.fixture
def chiyoda(orgs):
    return _user("officer@city.chiyoda.example.jp", "千代田 区美", "officer", orgs["131016"])


@pytest.fixture
def cast(ministry, admin_user, kanagawa, sagamihara, yokohama, tokyo, chiyoda):
    """Every member of the cast by name."""
    return {
        "ministry": ministry, "admin": admin_user, "kanagawa": kanagawa, "sagamihara": sagamihara,
        "yokohama": yokohama, "tokyo": tokyo, "chiyoda": chiyoda,
    }


BROWSER = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Mozilla/5.0 (テスト用ブラウザ)"}


# --- the second factor --------------------------------------------------------------------------

# RFC 6238's own test key ("12345678901234567890"), so the helper below can be checked on its vectors.
CAST_TOTP_KEY = b"12345678901234567890".hex()
TOTP_STEP = 30


def hotp(key: bytes, counter: int, digits: int = 6) -> str:
    """RFC 4226 HOTP with HMAC-SHA1, written from the RFC (not django-otp's implementation)."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def totp(key_hex: str, at: float | None = None, *, digits: int = 6) -> str:
    """RFC 6238 TOTP (30-second steps from the Unix epoch) of a hex key, at `at` (default now)."""
    return hotp(bytes.fromhex(key_hex), int((time.time() if at is None else at) // TOTP_STEP), digits)


def give_totp(user, key_hex: str = CAST_TOTP_KEY):
    """`user`'s confirmed TOTP device, created with `key_hex` if the user has none (test setup)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, key=key_hex, name="テスト用認証アプリ", confirmed=True)


def fresh_code(device) -> str:
    """A code `device` will accept now: the current step's, or a later one if that was used.

    django-otp refuses a step at or before the last one it accepted (replay), and accepts one step
    either side of its clock (+ the drift it learned); beyond that, wait for the next step.
    """
    device.refresh_from_db()
    while True:
        now_step = int(time.time() // TOTP_STEP) + device.drift
        step = max(now_step, device.last_t + 1)
        if step <= now_step + 1:
            return hotp(device.bin_key, step)
        time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 0.05)


def owes_second_factor(user) -> bool:
    from survey.two_factor import pending_step

    return pending_step(user) is not None


def verify_session(client, user) -> None:
    """Mark `client`'s session verified by `user`'s TOTP device (created if needed), as
    django_otp.login does after a good code, when `user` owes a second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY

    if owes_second_factor(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = give_totp(user).persistent_id
        session.save()


def signed_in(client, user):
    """`client` with a session of `user` as a real login leaves it: the login time, and for a user
    who owes a second factor (ministry, admin, an enrolled officer) a verified device."""
    client.force_login(user)
    session = client.session
    session["portal_login_at"] = time.time()
    session.save()
    verify_session(client, user)
    return client


def log_in(page, user, password=PASSWORD):
    """Sign `user` in through the login page in a browser, with the code step when owed."""
    from playwright.sync_api import expect

    device = give_totp(user) if owes_second_factor(user) else None
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    if device is not None:
        expect(page.get_by_role("heading", name="確認コードの入力")).to_be_visible()
        page.get_by_label("確認コード").fill(fresh_code(device))
        page.get_by_role("button", name="確認してログイン").click()
        expect(page.get_by_role("heading", name="確認コードの入力")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def post_login(client, email, password=PASSWORD, **extra):
    """Submit the login form as a browser would (the password step only)."""
    return client.post("/accounts/login/", {"username": email, "password": password}, **{**BROWSER, **extra})


@pytest.fixture
def browser():
    """The address and user agent the test client claims (checked in the audit rows)."""
    return dict(BROWSER)


@pytest.fixture
def login_as():
    """login_as(client, user): a signed-in client, without going through the login form."""
    return signed_in


@pytest.fixture
def login_form():
    """login_form(client, email, password=PASSWORD): POST the login form."""
    return post_login
