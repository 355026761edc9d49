"""Demo data: the master, the survey, an open round for every organisation, accounts, responses."""
import datetime as dt
import random
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey.models import Organization, Response, Role, Round, RoundTarget, User, VersionSource
from survey.orgmaster import load_master
from survey.services.organizations import organizations_sync
from survey.services.responses import response_save
from survey.services.rounds import DEFINITIONS_DIR, default_definition_path, round_create, survey_version_load
from survey.synthetic import random_answers, random_respondent
from survey.two_factor import secret_base32

DEMO_ROUND_TITLE = "令和8年度 マイナンバー情報連携関係実態調査（デモ）"
# A revised version to start a next round on (調査回の管理 → この回から次回を作成); never the default.
DEMO_REVISION = DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml"
DEMO_PASSWORD = "demo-portal-2026"
DEMO_ACCOUNTS = [
    # email, name, role, organisation code
    ("ministry@demo.example.jp", "厚労 太郎", "ministry", None),
    ("admin@demo.example.jp", "管理 花子", "admin", None),
    ("kanagawa@demo.example.jp", "神奈川 県子", "officer", "140007"),
    ("sagamihara@demo.example.jp", "相模原 市郎", "officer", "141500"),
    ("yokohama@demo.example.jp", "横浜 浜子", "officer", "141003"),
]
# Second factor in the demo: the administrator is enrolled with this fixed key (printed, so it can
# be typed into an app); ministry staff are not, and meet the enrolment page at their first sign-in.
DEMO_TOTP_EMAIL = "admin@demo.example.jp"
DEMO_TOTP_KEY = b"demo-portal-2026-key".hex()
# These organisations start without an answer, so that the demo logins can answer themselves.
UNANSWERED = {"140007", "141500", "141003"}


@dataclass
class DemoResult:
    round: Round
    created_responses: int
    accounts: list[tuple[str, str, str]]
    two_factor: list[str]


def _accounts() -> list[tuple[str, str, str]]:
    rows = []
    for email, name, role, code in DEMO_ACCOUNTS:
        org = Organization.objects.get(code=code) if code else None
        user = User.objects.filter(email=email).first()
        if user is None:
            User.objects.create_user(email, DEMO_PASSWORD, name=name, role=role, organization=org)
        label = Role(role).label + (f"（{org.display_name}）" if org else "")
        rows.append((email, DEMO_PASSWORD, label))
    return rows


def _two_factor() -> list[str]:
    """Enrol the demo administrator with the fixed key (once); say how each demo login signs in."""
    admin = User.objects.get(email=DEMO_TOTP_EMAIL)
    device = TOTPDevice.objects.filter(user=admin, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=admin, key=DEMO_TOTP_KEY, name="デモ用認証アプリ", confirmed=True)
    admin_line = (f"キー {secret_base32(device)} を認証アプリに登録済み（時間ベース・6桁・30秒）。"
                  if device.key == DEMO_TOTP_KEY else "デモ後に登録し直された認証アプリ。")
    return [
        "省庁職員・管理者はパスワードのあとに確認コード（二要素認証）が必要です。",
        "  ministry@demo.example.jp: 初回ログインで認証アプリの登録画面（QR コードとキー）が表示されます。",
        f"  {DEMO_TOTP_EMAIL}: {admin_line}",
        "  スマートフォンなしで試す: .venv/bin/python manage.py demo_totp メールアドレス（いま有効な確認コードを表示）",
        "  団体担当者は任意です（アカウント画面から登録できます）。",
    ]


def demo_totp_code(email: str) -> tuple[str, int]:
    """The code a demo account's authenticator app would show now, and the seconds it stays valid.

    The account's confirmed device, else the one its enrolment page shows. Only the demo accounts:
    this is the demo's stand-in for a phone, not a way to read anyone's codes.
    """
    if email not in {row[0] for row in DEMO_ACCOUNTS}:
        raise ValueError(f"{email} はデモ用アカウントではありません。")
    devices = TOTPDevice.objects.filter(user__email=email).order_by("-confirmed", "pk")
    device = devices.first()
    if device is None:
        raise LookupError(f"{email} には認証アプリの登録がありません。ログインして登録画面を開いてから実行してください。")
    now = time.time()
    step = max(int((now - device.t0) // device.step) + device.drift, device.last_t + 1)  # not a used step
    valid_until = device.t0 + (step - device.drift + 1) * device.step
    return str(hotp(device.bin_key, step, device.digits)).zfill(device.digits), max(0, int(valid_until - now))


def _round(survey) -> Round:
    rnd = Round.objects.filter(title=DEMO_ROUND_TITLE).first()
    if rnd is None:
        rnd = round_create(
            survey=survey, title=DEMO_ROUND_TITLE, deadline=timezone.now() + dt.timedelta(days=21),
            scheme=survey.engine.scheme, attribute="",
        )
    return rnd


def _responses(rnd: Round, count: int, seed: int) -> int:
    """Synthetic answers for `count` organisations spread over the country (about 3 in 4 submitted)."""
    if Response.objects.filter(round=rnd).exists():
        return 0
    rng = random.Random(seed)
    defn = rnd.survey.engine
    targets = list(RoundTarget.objects.filter(round=rnd).exclude(organization__code__in=UNANSWERED)
                   .select_related("round__survey", "organization"))
    for target in rng.sample(targets, k=min(count, len(targets))):
        org = target.organization
        submit = rng.random() < 0.75
        answers = random_answers(defn, org.engine_kind, rng, complete=submit)
        respondent = random_respondent(org.display_name, org.section_label, rng, domain=f"{org.code}.lg.example.jp")
        response_save(target=target, answers=answers, respondent=respondent, acting_user=None,
                      submit=submit, source=VersionSource.COMMAND)
    return count


@transaction.atomic
def seed_demo(*, responses: int = 400, seed: int = 2023) -> DemoResult:
    """Create (once) everything the demo needs; running it again changes nothing."""
    organizations_sync(records=load_master(), acting_user=None)
    survey_version_load(DEMO_REVISION)  # first: the newest loaded stays the default of a new round
    survey, _ = survey_version_load(default_definition_path())
    rnd = _round(survey)
    created = _responses(rnd, responses, seed)
    accounts = _accounts()
    return DemoResult(round=rnd, created_responses=created, accounts=accounts, two_factor=_two_factor())
