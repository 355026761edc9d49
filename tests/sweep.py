"""Every URL of the project, filled with seeded values: the enumeration the sweeps share.

- tests/security/test_access_sweep.py tries every URL as the wrong user;
- tests/browser/test_accessibility_sweep.py opens every HTML page of each role through axe;
- tests/security/test_stored_xss.py opens every HTML page of each role with hostile stored texts.

The URLs come from the project's URL patterns, so a new page is swept without anyone
remembering; a URL argument no sweep knows (not in the seeded values) fails the sweep.
`seed_every_page` makes a finished job of every kind, submitted and draft answers with
follow-up texts and files, a snapshot and an invited user, so that every page has content.
"""
from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.cast import PASSWORD
from tests.cast import log_in as cast_log_in

RESPONDENT = {
    "担当部署名": "福祉局 生活福祉課", "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "相模原 市郎", "電話番号": "042-754-1111", "メールアドレス": "fukushi@city.sagamihara.example.jp",
}
LONG_PATH = {
    "1-1": "1", "2": "3", "2:予定年月": "2024-03", "3": "1", "4": "1", "5": "2", "6": ["1", "2"],
    "7-1": "2", "7-2": "1", "7-3": "1", "7-4": ["2", "3"], "8-1": "1",
    "8-1:概要": "追加の本人確認情報を用い、複数担当者で確認する。", "8-2": "1", "9": "1", "10": "2",
    "10:概要": "令和4年に1件。原因を特定し改善済み。",
}
SHORT_PATH = {"1-1": "2", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
LAST = ("logout",)  # swept last, whatever it does to the session


# --- the URLs -----------------------------------------------------------------------------------


def patterns(resolver=None, namespace="") -> Iterator[tuple[str, URLPattern]]:
    """(name, pattern) of every named URL pattern of the project, namespaces included."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, entry


def arguments(pattern: URLPattern) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))


def urls(ctx: dict[str, list], *, sweep: str) -> list[tuple[str, str]]:
    """(name, url) of every pattern with every combination of the seeded argument values
    (`ctx`: argument name -> values), `logout` last; fails naming the arguments it cannot fill."""
    found, unfillable = [], []
    for name, pattern in patterns():
        params = arguments(pattern)
        missing = [p for p in params if p not in ctx]
        if missing:
            unfillable.append(f"{name} ({', '.join(missing)})")
            continue
        for values in itertools.product(*(ctx[p] for p in params)):
            found.append((name, reverse(name, kwargs=dict(zip(params, values, strict=True)))))
    if unfillable:
        pytest.fail(f"{sweep}: URL arguments it cannot fill; add them to tests/sweep.py: " + "; ".join(unfillable))
    found.sort(key=lambda pair: pair[0] in LAST)
    return found


# --- pages in the browser -----------------------------------------------------------------------


def log_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the login page, with the second-factor code step where the user owes one."""
    cast_log_in(page, user, password)


def same_page(name: str, location: str) -> bool:
    """Whether a redirect stays on the page asked for (e.g. a set-password link's token swap)."""
    try:
        return resolve(urlsplit(location).path).view_name == name
    except Exception:  # a redirect off the site, or to a path that resolves to nothing
        return False


def is_html(page, name: str, url: str) -> bool:
    """Whether `url` answers this role with an HTML page (asked without the browser: no downloads)."""
    response = page.request.get(url, max_redirects=0)
    if response.status in (301, 302, 303):
        return same_page(name, response.headers.get("location", ""))
    return response.status == 200 and response.headers.get("content-type", "").startswith("text/html")


# --- the data -----------------------------------------------------------------------------------


def run_job(job):
    """Jobs run eagerly in tests; run one here if it has not (and insist that it finished)."""
    from survey.jobs import run_job as run

    job.refresh_from_db()
    if not job.is_finished:
        run(job.pk)
        job.refresh_from_db()
    assert job.status == job.Status.DONE, (job.kind, job.status, job.messages)
    return job


def _answers(round_, orgs, cast):
    """相模原市 submitted (with follow-up texts and a file), 横浜市 a draft."""
    from survey.services.attachments import attachments_add
    from survey.services.responses import response_save

    target = round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])
    respondent = {"組織区分": "市区町村", "組織名": "14神奈川県相模原市", **RESPONDENT}
    response_save(target=target, answers=SHORT_PATH, respondent=respondent, acting_user=cast["sagamihara"])
    attachment = attachments_add(target=target, purpose="procedure_document",
                                 files=[("事務処理要領.txt", "本人確認の手順".encode())],
                                 acting_user=cast["sagamihara"]).added[0]
    attachments_add(target=target, purpose="followup", followup_key="10:概要",
                    files=[("事例報告.txt", "事例の詳細".encode())], acting_user=cast["sagamihara"])
    response_save(target=target, answers=LONG_PATH, respondent=respondent, acting_user=cast["sagamihara"], submit=True)
    _review(target, cast)
    draft = round_.targets.select_related("round__survey", "organization").get(organization=orgs["141003"])
    response_save(target=draft, answers={"1-1": "2", "3": "1"}, respondent={"担当部署名": "健康福祉局"},
                  acting_user=cast["yokohama"])
    return attachment


def _review(target, cast):
    """神奈川県 returns 相模原市's submission with comments (an item, a field, the whole), 相模原市 replies."""
    from survey.services.review import Anchor, NewComment, comment_reply, response_return

    threads = response_return(target=target, acting_user=cast["kanagawa"], comments=[
        NewComment(Anchor("item", "7-2"), "7-2 の回答を確認してください。"),
        NewComment(Anchor("field", "電話番号"), "内線番号も記入してください。"),
        NewComment(Anchor("response"), "全体として確認をお願いします。")])
    comment_reply(target=target, thread=threads[0], body="確認して修正します。", acting_user=cast["sagamihara"])
    return threads


def review_thread_ids(round_) -> list[int]:
    """The seeded review threads (for the thread_id URL argument)."""
    from survey.models import ReviewThread

    return list(ReviewThread.objects.filter(response__round=round_).order_by("pk").values_list("pk", flat=True)[:1])


def _previous_round(round_, orgs, cast) -> None:
    """Make `round_` a next round: started from a round on another version of the survey (the demo
    revision, so that 変更あり marks and notices of answers not carried show), where 相模原市
    submitted; its response in `round_` is marked as carried over from that submission."""
    import datetime as dt

    from django.utils import timezone

    from survey.engine import DEFINITIONS_DIR
    from survey.models import Response
    from survey.services.responses import response_save
    from survey.services.rounds import round_create, survey_version_load

    revision, _ = survey_version_load(DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml")
    previous = round_create(survey=revision, title="前回の調査回", scheme=round_.scheme,
                            deadline=timezone.now() + dt.timedelta(days=1), organizations=[orgs["141500"]])
    target = previous.targets.select_related("round__survey", "organization").get()
    respondent = {"組織区分": "市区町村", "組織名": "14神奈川県相模原市", **RESPONDENT}
    base = response_save(target=target, answers={**SHORT_PATH, "11": "2"}, respondent=respondent,
                         acting_user=cast["sagamihara"], submit=True).version
    round_.previous_round = previous
    round_.save(update_fields=["previous_round"])
    Response.objects.filter(round=round_, organization=orgs["141500"]).update(carried_from=base)


def sheet_zip(round_, orgs, *, respondent: dict | None = None, names=("鎌倉市.xlsx", "壊れた.xlsx")) -> bytes:
    """A zip of 鎌倉市's filled answer sheet and a file that is not a workbook."""
    from survey.models import RoundTarget
    from survey.services.sheets import sheet_context
    from survey.workbook import write_answer_sheet

    target = RoundTarget.objects.select_related("round__survey", "organization").get(round=round_, organization=orgs["142042"])
    respondent = {**RESPONDENT, "組織区分": target.organization.section_label,
                  "組織名": target.organization.display_name, **(respondent or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(names[0], write_answer_sheet(round_.survey.engine, context=sheet_context(target),
                                                 answers=SHORT_PATH, respondent=respondent))
        zf.writestr(names[1], b"not a workbook")
    return out.getvalue()


def _jobs(round_, orgs, cast, snapshot, bulk_zip: tuple[str, bytes] | None) -> list[int]:
    """A finished job of every kind, made by each role that can start it."""
    from aggregation.services import export_start
    from survey.services import notices, reminders
    from survey.services.sheets import sheets_export_job_create, sheets_import_job_create

    jobs = [
        export_start(round=round_, acting_user=cast["ministry"]),
        export_start(round=round_, acting_user=cast["admin"], snapshot=snapshot, fmt="csv"),
        export_start(round=round_, acting_user=cast["kanagawa"], prefecture="14"),
        sheets_export_job_create(round=round_, acting_user=cast["ministry"]),
        sheets_import_job_create(uploads=[bulk_zip or ("返送分.zip", sheet_zip(round_, orgs))], acting_user=cast["admin"]),
    ]
    jobs.append(notices.notices_send(round=round_, acting_user=cast["ministry"]))
    for who in ("ministry", "kanagawa"):
        plan = reminders.reminder_plan(round=round_, user=cast[who], filters=reminders.Filters(include_recent=True))
        jobs.append(reminders.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=cast[who]))
    return [run_job(job).pk for job in jobs]


def _extension(round_, orgs, cast):
    """相模原市's deadline extended (shown on the extension pages, its own and its prefecture's)."""
    import datetime as dt

    from survey.services.rounds import target_extend

    target = round_.targets.select_related("round", "organization").get(organization=orgs["141500"])
    target_extend(target=target, deadline=round_.deadline + dt.timedelta(days=7), reason="災害対応のため",
                  acting_user=cast["ministry"])


def _scheduled_reminders(round_) -> None:
    """The round's last reminder step and a digest, sent as beat's tick sends them (12 hours before the deadline)."""
    import datetime as dt

    from django.test import override_settings

    from survey.services.scheduled_reminders import reminders_tick

    with override_settings(REMINDER_DIGEST_HOUR=0):
        reminders_tick(now=round_.deadline - dt.timedelta(hours=12))


def seed_every_page(round_, orgs, cast, *, snapshot_label="第1回確定", invited_name="鎌倉 倉子",
                    bulk_zip: tuple[str, bytes] | None = None) -> dict[str, list]:
    """Realistic data for every page, and the values of every URL argument."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from aggregation.services import snapshot_create
    from survey.services.accounts import user_invite

    attachment = _answers(round_, orgs, cast)
    _extension(round_, orgs, cast)
    _previous_round(round_, orgs, cast)
    _scheduled_reminders(round_)
    snapshot = snapshot_create(round=round_, acting_user=cast["ministry"], label=snapshot_label)
    invited = user_invite(email="officer@city.kamakura.example.jp", name=invited_name, role="officer",
                          organization=orgs["142042"], acting_user=cast["admin"])
    uidb64 = urlsafe_base64_encode(force_bytes(invited.pk))
    return {
        "round_id": [round_.pk], "org_code": ["141500", "141003", "140007"], "code": ["141500"],
        "number": [1, 2], "n": [1, 2], "job_id": _jobs(round_, orgs, cast, snapshot, bulk_zip),
        "attachment_id": [attachment.pk], "snapshot_id": [snapshot.pk], "thread_id": review_thread_ids(round_),
        "pk": [cast["yokohama"].pk, invited.pk], "user_id": [cast["yokohama"].pk],
        "uidb64": [uidb64], "token": [default_token_generator.make_token(invited)],
    }
