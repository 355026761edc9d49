"""The fixed cast shared by all tests (a pytest plugin, loaded from tests/conftest.py).

- ministry: 厚生労働省の分析担当 (sees the whole country)
- admin: 管理者
- kanagawa: 神奈川県の担当者 (prefecture officer)
- sagamihara: 相模原市の担当者 (municipality in 神奈川県)
- yokohama: 横浜市の担当者 (another municipality in 神奈川県)
- tokyo: 東京都の担当者 (another prefecture)
- chiyoda: 千代田区の担当者 (a municipality of another prefecture)
"""
import datetime as dt

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


def signed_in(client, user):
    """`client` with a session of `user` as a real login leaves it (with the login time)."""
    import time

    client.force_login(user)
    session = client.session
    session["portal_login_at"] = time.time()
    session.save()
    return client


def post_login(client, email, password=PASSWORD, **extra):
    """Submit the login form as a browser would."""
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
