"""The load bench's people and papers, made fast on the stack's database (after seed_demo).

- `officers(n)`: n officer accounts, one per organisation of the demo round (the 1,788 real
  organisations, minus the demo logins'), inserted with one bulk_create and one password hash
  computed once and shared (hashing 1,000 passwords one by one would take minutes of Argon2).
  Each gets the form fields of a draft (an incomplete answer set) and of a complete answer set,
  made by the portal's own helpers (survey.synthetic.random_answers, survey.forms.answering.form_data),
  so the simulated browser posts what the questionnaire page would.
- `staff(n)`: n ministry accounts and one administrator, each with a confirmed TOTP device of a
  known key (the simulated phone computes the codes, RFC 6238).
- `sheet_zip(count, skip)`: a zip of `count` filled answer sheets of other organisations (the
  portal's own writer), for the administrator's bulk import during the load.
"""
from __future__ import annotations

import io
import random
import zipfile
from types import SimpleNamespace

PASSWORD = "load-bench-2026-password"
OFFICER_EMAIL = "officer{:04d}@load.example.jp"
MINISTRY_EMAIL = "ministry{}@load.example.jp"
ADMIN_EMAIL = "admin@load.example.jp"
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key (hex)


def demo_round():
    from survey.models import Round
    from survey.services.demo import DEMO_ROUND_TITLE

    return Round.objects.select_related("survey").get(title=DEMO_ROUND_TITLE)


def _targets(rnd):
    from survey.models import RoundTarget
    from survey.services.demo import UNANSWERED

    return list(RoundTarget.objects.filter(round=rnd).exclude(organization__code__in=UNANSWERED)
                .select_related("round__survey", "organization").order_by("organization__code"))


def _fields(target, answers, respondent) -> list[tuple[str, str]]:
    from survey.forms.answering import form_data

    data = form_data(target, SimpleNamespace(answers=answers, respondent=respondent), 0)
    return [(key, value) for key in data if key != "base_revision" for value in data.getlist(key)]


def officers(n: int, *, seed: int = 2026) -> list[dict]:
    from django.contrib.auth.hashers import make_password

    from survey.models import User
    from survey.synthetic import random_answers, random_respondent

    rnd = demo_round()
    targets = _targets(rnd)
    if n > len(targets):
        raise SystemExit(f"at most {len(targets)} officers (one per organisation)")
    password = make_password(PASSWORD)
    rng = random.Random(seed)
    users, plan = [], []
    for i, target in enumerate(targets[:n]):
        org = target.organization
        email = OFFICER_EMAIL.format(i)
        users.append(User(email=email, name=f"負荷 試験{i:04d}", role="officer", organization=org,
                          password=password))
        respondent = random_respondent(org.display_name, org.section_label, rng, domain=f"{org.code}.lg.example.jp")
        defn = rnd.survey.engine
        plan.append({
            "email": email, "org": org.code, "base": f"/rounds/{rnd.pk}/orgs/{org.code}/",
            "draft": _fields(target, random_answers(defn, org.engine_kind, rng, complete=False), respondent),
            "full": _fields(target, random_answers(defn, org.engine_kind, rng), respondent),
        })
    User.objects.bulk_create(users, batch_size=500)
    return plan


def staff(n: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from survey.models import User

    password = make_password(PASSWORD)
    rnd = demo_round()
    emails = [MINISTRY_EMAIL.format(i) for i in range(n)]
    people = [User(email=e, name=f"省庁 職員{i}", role="ministry", password=password) for i, e in enumerate(emails)]
    people.append(User(email=ADMIN_EMAIL, name="負荷 管理者", role="admin", password=password))
    User.objects.bulk_create(people)
    TOTPDevice.objects.bulk_create([TOTPDevice(user=u, key=TOTP_KEY, name="負荷試験", confirmed=True)
                                    for u in User.objects.filter(email__in=[*emails, ADMIN_EMAIL])])
    return {"ministry": emails, "admin": ADMIN_EMAIL, "round": rnd.pk, "totp_key": TOTP_KEY}


def sheet_zip(count: int, *, skip: int, seed: int = 7) -> tuple[bytes, list[str]]:
    """Sheets of the organisations after the first `skip` (the officers'): the zip and their codes."""
    from survey.services.sheets import sheet_context
    from survey.synthetic import random_answers, random_respondent
    from survey.workbook import write_answer_sheet

    rnd = demo_round()
    targets = _targets(rnd)[skip:skip + count]
    rng = random.Random(seed)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for target in targets:
            org = target.organization
            answers = random_answers(rnd.survey.engine, org.engine_kind, rng)
            respondent = random_respondent(org.display_name, org.section_label, rng, domain=f"{org.code}.lg.example.jp")
            sheet = write_answer_sheet(rnd.survey.engine, context=sheet_context(target), answers=answers,
                                       respondent=respondent)
            zf.writestr(f"{org.code}_{org.name}.xlsx", sheet)
    return out.getvalue(), [t.organization.code for t in targets]


def version_counts(codes: list[str], *, source: str | None = None) -> dict[str, int]:
    """Stored versions per organisation code in the demo round (of one source, e.g. bulk_import)."""
    from django.db.models import Count

    from survey.models import ResponseVersion

    versions = ResponseVersion.objects.filter(response__round=demo_round(), response__organization__code__in=codes)
    if source:
        versions = versions.filter(source=source)
    rows = (versions.values("response__organization__code").annotate(n=Count("pk")))
    return {row["response__organization__code"]: row["n"] for row in rows}
