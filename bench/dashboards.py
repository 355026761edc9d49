"""Benchmark of the dashboards (status, results, cross-tab, texts, risk, compare) on PostgreSQL.

    .venv/bin/python bench/dashboards.py --responses 1788
    .venv/bin/python bench/dashboards.py --responses 100000 [--runs 7] [--keep]

DATABASE_URL must point at a PostgreSQL server where the user may create databases. The bench
creates its own database `<name>_bench_dash` beside it (dropped at the end unless --keep),
migrates it and loads the real 1,788 organisations (`manage.py load_organizations`). For more
than 1,788 responses it synthesises extra target organisations (one round, one response per
target, since a round has at most one response per organisation): codes PP7000-PP9999 of each
prefecture, spread evenly over the 47 prefectures, typed city/town/village.

Two rounds are loaded alike (the second started from the first, so that 調査回の比較 compares
them); the pages are measured on the second. Every target has a response: 92% submitted, 8%
drafts (so the status page has non-submitters).
Responses, versions and facts are bulk-inserted with COPY from a pool of 500 answer sets per
organisation kind made by the engine (survey.synthetic.random_answers follows the branching;
risk by classify_risk; facts = applicable items and one row per mark, as response_save writes
them). The real organisations get one officer each (the non-submitters' contacts).

Measured in the same run: the median server time of each dashboard page as ministry staff
(whole country: the worst case) and as a prefecture officer, through Django's test Client
(request to rendered body, without the network), and beside it the raw SQL of that page's main
roll-up, run through the same connection.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from benchdb import bench_database, recreate  # noqa: E402  (bench/ is on sys.path when run as a script)

POOL = 500
SUBMITTED_SHARE = 0.92


def bench_urls(url: str) -> tuple[str, str]:
    """(admin URL, bench URL): the bench database sits next to DATABASE_URL's."""
    return bench_database(url, "_bench_dash")


# --- database ------------------------------------------------------------------------------------






# --- data ----------------------------------------------------------------------------------------


def synthesise_orgs(total: int) -> None:
    """Add synthetic organisations (codes PP7000–PP9999) until the master holds `total`."""
    from survey.models import Organization

    missing = total - Organization.objects.count()
    names = dict(Organization.objects.filter(kind="prefecture").values_list("prefecture_code", "prefecture_name"))
    kinds = ["city", "town", "village"]
    rows = []
    for k in range(max(missing, 0)):
        pref = f"{k % 47 + 1:02d}"
        rows.append(Organization(code=f"{pref}{7000 + k // 47:04d}", prefecture_code=pref,
                                 prefecture_name=names[pref], name=f"合成{k}", kind=kinds[k % 3]))
    Organization.objects.bulk_create(rows, batch_size=5000)


def answer_pool(defn, rng) -> dict[str, list]:
    """Per engine kind, POOL tuples (answers json, risk level, rules json, [(item, option)])."""
    from survey import engine
    from survey.facts import fact_pairs, fired_rules
    from survey.synthetic import random_answers

    pool = {}
    for kind in ("prefecture", "municipality"):
        entries = []
        for _ in range(POOL):
            answers = random_answers(defn, kind, rng)
            risk = engine.classify_risk(defn, answers, kind)
            facts = fact_pairs(defn, kind, answers)
            rules = fired_rules(risk)
            entries.append((json.dumps(answers, ensure_ascii=False), risk.level,
                            json.dumps(rules, ensure_ascii=False), facts))
        pool[kind] = entries
    return pool


def load_round(n: int, seed: int = 11, *, officers: bool = True) -> int:
    """A round over the first n organisations, each with a response (COPY). Returns the round id."""
    from django.db import connection, transaction
    from django.utils import timezone

    from survey.models import Organization, Round, RoundTarget, User
    from survey.services.rounds import default_definition_path, survey_version_load

    version, _ = survey_version_load(default_definition_path())
    now = timezone.now()
    rnd = Round.objects.create(survey=version, title=f"ベンチマーク {n} 回答", deadline=now + timezone.timedelta(days=7),
                               status="open", scheme="職業転換給付金制度（訓練手当）関係事務")
    orgs = list(Organization.objects.order_by("code").values_list("id", "prefecture_code", "kind", "code")[:n])
    RoundTarget.objects.bulk_create([RoundTarget(round=rnd, organization_id=o[0]) for o in orgs], batch_size=5000)
    if officers:
        User.objects.bulk_create([User(email=f"officer{code}@example.jp", name=f"担当{code}", role="officer",
                                       organization_id=oid, password="!") for oid, _, _, code in orgs[:1788]],
                                 batch_size=2000)
    rng = random.Random(seed)
    pool = answer_pool(version.engine, rng)
    rows = [(o, rng.choice(pool["prefecture" if o[2] == "prefecture" else "municipality"]),
             rng.random() < SUBMITTED_SHARE) for o in orgs]
    with transaction.atomic(), connection.cursor() as c:
        _copy_rows(c.cursor, rnd.pk, rows, now)
        for table in ("survey_response", "survey_responseversion"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return rnd.pk


def _copy_rows(raw, round_id: int, rows, now) -> None:
    """Responses, versions (ids equal, after those of a round loaded before), facts of submitted
    ones. FKs are deferred to commit."""
    respondent = json.dumps({"担当部署名": "福祉課", "連絡先氏名": "連絡 花子"}, ensure_ascii=False)
    raw.execute("SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM survey_response), "
                "(SELECT COALESCE(MAX(id), 0) FROM survey_responseversion))")
    first = raw.fetchone()[0] + 1
    with raw.copy("COPY survey_response (id, round_id, organization_id, prefecture_code, org_kind, status, "
                  "current_version_id, submitted_version_id, revision, submitted_at, updated_at, risk_level, review) "
                  "FROM STDIN") as copy:
        for i, ((org_id, pref, kind, _), pick, sub) in enumerate(rows, start=first):
            copy.write_row((i, round_id, org_id, pref, kind, "submitted" if sub else "draft", i, i if sub else None,
                            1, now if sub else None, now, pick[1] if sub else "", ""))
    with raw.copy("COPY survey_responseversion (id, response_id, number, status, answers, respondent, risk_level, "
                  "risk_rules, source, created_at, cleared_items, file_name, file_sha256, file_path) "
                  "FROM STDIN") as copy:
        for i, (_, pick, sub) in enumerate(rows, start=first):
            copy.write_row((i, i, 1, "submitted" if sub else "draft", pick[0], respondent, pick[1], pick[2],
                            "command", now, "[]", "", "", ""))
    with raw.copy('COPY survey_answerfact (round_id, response_id, version_id, prefecture_code, org_kind, item, "option") '
                  "FROM STDIN") as copy:
        for i, ((_, pref, kind, _), pick, sub) in enumerate(rows, start=first):
            for item, option in pick[3] if sub else ():
                copy.write_row((round_id, i, i, pref, kind, item, option))


# --- measurements --------------------------------------------------------------------------------


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _sql_ms(qs, runs: int) -> float:
    from django.db import connection

    sql, params = qs.query.sql_with_params()

    def run():
        with connection.cursor() as c:
            c.execute(sql, params)
            c.fetchall()

    return _median_ms(run, runs)


def main_rollups(rnd, scope) -> dict:
    """The main roll-up queryset of each page (what its figures mostly cost)."""
    from django.db.models import Count, Q

    from aggregation import selectors
    from survey.models import AnswerFact, Response, RoundTarget

    facts = scope.facts(AnswerFact.objects.filter(round=rnd))
    responses = scope.responses(Response.objects.filter(round=rnd))
    targets = scope.targets(RoundTarget.objects.filter(round=rnd))
    marked = facts.filter(item="7-1", option="1").values("response_id")
    return {
        "status": [responses.values("prefecture_code", "status").annotate(n=Count("id")).order_by(),
                   targets.values("organization__prefecture_code", "organization__prefecture_name")
                   .annotate(n=Count("id")).order_by()],
        "results": [facts.values("item", "option").annotate(n=Count("id")).order_by()],
        "crosstab": [facts.filter(item="6").values("option")
                     .annotate(n=Count("id", filter=Q(response_id__in=marked))).order_by()],
        "texts": [selectors.followup_texts(rnd.survey.engine, responses, facts=facts)[:50]],
        "risk": [responses.filter(status="submitted").values("risk_level").annotate(n=Count("id")).order_by()],
        "compare": [scope.facts(AnswerFact.objects.filter(round_id=r)).filter(item="7-4")
                    .values("prefecture_code", "option").annotate(n=Count("id")).order_by()
                    for r in (rnd.previous_round_id, rnd.pk)],
    }


PAGES = {
    "status": "status/", "results": "results/", "crosstab": "crosstab/?a=6&b=7-1", "texts": "texts/",
    "risk": "risk/", "compare": "compare/?item=7-4",
}


def _client(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session["portal_login_at"] = time.time()  # survey.middleware.SessionLimitsMiddleware
    # Ministry staff owe a second factor (survey.two_factor): a confirmed device, verified, as after a good code.
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "bench"})
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _page_figures(client, url: str, runs: int) -> tuple[float, float, int]:
    """(median wall ms, median CPU ms of this process, queries) of GET url."""
    from django.core.cache import cache
    from django.db import connection

    counted = []

    def count(execute, sql, *args):
        counted.append(sql)
        return execute(sql, *args)

    cache.clear()
    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        client.get(url)
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), len(counted)


def measure(round_id: int, runs: int) -> None:
    from survey.access import Scope
    from survey.models import Organization, Round, User

    rnd = Round.objects.select_related("survey").get(pk=round_id)
    ministry, _ = User.objects.get_or_create(email="bench-ministry@example.jp",
                                             defaults={"name": "計測 省", "role": "ministry"})
    kanagawa, _ = User.objects.get_or_create(email="bench-pref@example.jp", defaults={
        "name": "計測 県", "role": "officer", "organization": Organization.objects.get(code="140007")})
    print(f"load average before measuring: {os.getloadavg()[0]:.1f}")
    print(f"{'page':9} {'who':8} {'wall ms':>8} {'cpu ms':>7} {'queries':>7}   main roll-up SQL, median ms")
    for who, user, scope in (("ministry", ministry, Scope()), ("14-pref", kanagawa, Scope(prefecture="14"))):
        client, rollups = _client(user), main_rollups(rnd, scope)
        for page, path in PAGES.items():
            wall, cpu, queries = _page_figures(client, f"/aggregation/rounds/{round_id}/{path}", runs)
            raw = " + ".join(f"{_sql_ms(qs, runs):.1f}" for qs in rollups[page])
            print(f"{page:9} {who:8} {wall:8.1f} {cpu:7.1f} {queries:7d}   {raw}")


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1788)
    parser.add_argument("--runs", type=int, default=7, help="requests per page (median)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    args = parser.parse_args()
    admin_url, bench_url = bench_urls(os.environ.get("DATABASE_URL", ""))
    if not args.reuse:
        recreate(admin_url, bench_url)
    os.environ["DATABASE_URL"] = bench_url
    try:
        _bench(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate(admin_url, bench_url, drop_only=True)


def _bench(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from survey.models import Round

    if args.reuse:
        return measure(Round.objects.latest("id").pk, args.runs)
    call_command("migrate", verbosity=0)
    call_command("load_organizations", stdout=open(os.devnull, "w"))  # noqa: SIM115
    synthesise_orgs(args.responses)
    t0 = time.perf_counter()
    previous_id = load_round(args.responses, seed=12)
    round_id = load_round(args.responses, officers=False)
    Round.objects.filter(pk=round_id).update(previous_round_id=previous_id)  # 調査回の比較 compares the two
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM survey_answerfact")
        facts = c.fetchone()[0]
    print(f"data: two rounds of {args.responses} responses ({SUBMITTED_SHARE:.0%} submitted), {facts} fact rows, "
          f"loaded in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} cores; {args.runs} runs per page")
    measure(round_id, args.runs)


if __name__ == "__main__":
    main()
