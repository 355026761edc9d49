"""Demo data: the master, the survey, an open round for every organisation, accounts, responses."""
import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from survey.models import Organization, Response, Role, Round, RoundTarget, User, VersionSource
from survey.orgmaster import load_master
from survey.services.organizations import organizations_sync
from survey.services.responses import response_save
from survey.services.rounds import default_definition_path, round_create, survey_version_load
from survey.synthetic import random_answers, random_respondent

DEMO_ROUND_TITLE = "令和8年度 マイナンバー情報連携関係実態調査（デモ）"
DEMO_PASSWORD = "demo-portal-2026"
DEMO_ACCOUNTS = [
    # email, name, role, organisation code
    ("ministry@demo.example.jp", "厚労 太郎", "ministry", None),
    ("admin@demo.example.jp", "管理 花子", "admin", None),
    ("kanagawa@demo.example.jp", "神奈川 県子", "officer", "140007"),
    ("sagamihara@demo.example.jp", "相模原 市郎", "officer", "141500"),
    ("yokohama@demo.example.jp", "横浜 浜子", "officer", "141003"),
]
# These organisations start without an answer, so that the demo logins can answer themselves.
UNANSWERED = {"140007", "141500", "141003"}


@dataclass
class DemoResult:
    round: Round
    created_responses: int
    accounts: list[tuple[str, str, str]]


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
    survey, _ = survey_version_load(default_definition_path())
    rnd = _round(survey)
    created = _responses(rnd, responses, seed)
    return DemoResult(round=rnd, created_responses=created, accounts=_accounts())
