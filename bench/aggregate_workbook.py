"""Benchmark of the aggregate workbook (集計表) on PostgreSQL.

    .venv/bin/python bench/aggregate_workbook.py --responses 1788
    .venv/bin/python bench/aggregate_workbook.py --responses 100000 [--with-snapshot] [--keep]

DATABASE_URL must point at a PostgreSQL server where the user may create databases. The bench
creates its own database `<name>_bench_aggwb` next to it (dropped at the end unless --keep),
migrates it, loads the real 1,788 organisations (`manage.py load_organizations`) and, for more
than 1,788 responses, synthesises extra organisations (codes free in the 6-digit space, spread
over the 47 prefectures, typed city/town/village). Every target then submits: responses,
versions and facts are bulk-inserted with COPY, from a pool of answer sets made by the engine
(survey.synthetic.random_answers, so they follow the branching; risk by classify_risk).

Measured, in the same run: the workbook build in a child process (wall time, CPU time of the
child, and its peak memory beside its memory before the build), and the raw SQL of the
build's main roll-up (facts grouped by prefecture, item, option) and of its row stream.
Peak memory is VmHWM of the child: ru_maxrss is printed too, but Linux carries it over from
the forking parent (which held the generated data), so it overstates the build's own peak.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import benchdb  # noqa: E402  (bench/ is on sys.path when run as a script)
from benchdb import recreate  # noqa: E402

POOL = 500  # distinct answer sets per organisation kind


def _setup():
    import django

    django.setup()


def bench_database(url: str) -> tuple[str, str]:
    """(admin URL, bench URL): the bench database sits next to DATABASE_URL's."""
    return benchdb.bench_database(url, "_bench_aggwb")


# --- database ------------------------------------------------------------------------------------






# --- data ----------------------------------------------------------------------------------------


def synthesise_orgs(n: int) -> None:
    """Add organisations until there are n (real ones first)."""
    from survey.models import Organization

    have = set(Organization.objects.values_list("code", flat=True))
    names = dict(Organization.objects.filter(kind="prefecture").values_list("prefecture_code", "prefecture_name"))
    missing, rows, k = n - len(have), [], 0
    kinds = ["city", "town", "village"]
    while len(rows) < missing:
        k += 1
        pref = f"{k % 47 + 1:02d}"
        code = f"{pref}{k // 47 % 10000:04d}"
        if code in have:
            continue
        have.add(code)
        rows.append(Organization(code=code, prefecture_code=pref, prefecture_name=names[pref],
                                 name=f"合成{k}{'市町村'[k % 3]}", kind=kinds[k % 3]))
    Organization.objects.bulk_create(rows, batch_size=5000)


def answer_pool(defn, rng):
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


def respondent_pool(rng) -> list[str]:
    from survey.synthetic import random_respondent

    return [json.dumps({"制度等": "職業転換給付金制度（訓練手当）関係事務", "属性": "",
                        **random_respondent("合成", "市区町村", rng, domain="city.example.jp")}, ensure_ascii=False)
            for _ in range(200)]


def load_round(n: int, seed: int = 7) -> int:
    """A round whose n targets all submitted; bulk COPY. Returns the round id."""
    from django.db import connection
    from django.utils import timezone

    from survey.models import Organization, Round, RoundTarget, SurveyVersion
    from survey.services.rounds import default_definition_path, survey_version_load

    version, _ = survey_version_load(default_definition_path())
    version = SurveyVersion.objects.get(pk=version.pk)
    defn = version.engine
    now = timezone.now()
    rnd = Round.objects.create(survey=version, title=f"ベンチマーク {n} 団体", deadline=now, status="open",
                               scheme="職業転換給付金制度（訓練手当）関係事務")
    orgs = list(Organization.objects.order_by("code").values_list("id", "prefecture_code", "kind")[:n])
    RoundTarget.objects.bulk_create([RoundTarget(round=rnd, organization_id=o[0]) for o in orgs], batch_size=5000)
    rng = random.Random(seed)
    pool, people = answer_pool(defn, rng), respondent_pool(rng)
    picks = [rng.choice(pool["prefecture" if kind == "prefecture" else "municipality"]) for _, _, kind in orgs]
    with connection.cursor() as c:
        raw = c.cursor
        with raw.copy("COPY survey_response (id, round_id, organization_id, prefecture_code, org_kind, status, "
                      "revision, submitted_at, updated_at, risk_level) FROM STDIN") as copy:
            for i, ((org_id, pref, kind), pick) in enumerate(zip(orgs, picks, strict=True), start=1):
                copy.write_row((i, rnd.pk, org_id, pref, kind, "submitted", 1, now, now, pick[1]))
        with raw.copy("COPY survey_responseversion (id, response_id, number, status, answers, respondent, risk_level, "
                      "risk_rules, source, created_at, cleared_items, file_name, file_sha256, file_path) "
                      "FROM STDIN") as copy:
            for i, pick in enumerate(picks, start=1):
                copy.write_row((i, i, 1, "submitted", pick[0], rng.choice(people), pick[1], pick[2], "command", now,
                                "[]", "", "", ""))
        with raw.copy("COPY survey_answerfact (round_id, response_id, version_id, prefecture_code, org_kind, item, "
                      '"option") FROM STDIN') as copy:
            for i, ((_, pref, kind), pick) in enumerate(zip(orgs, picks, strict=True), start=1):
                for item, option in pick[3]:
                    copy.write_row((rnd.pk, i, i, pref, kind, item, option))
        c.execute("UPDATE survey_response SET current_version_id = id, submitted_version_id = id WHERE round_id = %s",
                  [rnd.pk])
        for table in ("survey_response", "survey_responseversion"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        c.execute("ANALYZE")
    return rnd.pk


# --- measurements --------------------------------------------------------------------------------


def timed_sql(sql: str, params, repeat: int = 3) -> float:
    """Median seconds of running `sql` and fetching every row."""
    from django.db import connection

    times = []
    for _ in range(repeat):
        with connection.cursor() as c:
            t0 = time.perf_counter()
            c.execute(sql, params)
            c.fetchall()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def raw_sql_figures(round_id: int) -> dict:
    rollup = ('SELECT prefecture_code, item, "option", count(*) FROM survey_answerfact '
              "WHERE round_id = %s GROUP BY 1, 2, 3")
    stream = ("SELECT o.code, r.status, v.answers, v.respondent, v.risk_level, v.risk_rules FROM survey_organization o "
              "JOIN survey_roundtarget t ON t.organization_id = o.id AND t.round_id = %s "
              "LEFT JOIN survey_response r ON r.organization_id = o.id AND r.round_id = %s "
              "LEFT JOIN survey_responseversion v ON v.id = r.submitted_version_id ORDER BY o.code")
    return {"rollup_sql_s": timed_sql(rollup, [round_id]), "row_stream_sql_s": timed_sql(stream, [round_id, round_id])}


def build_child(args) -> None:
    """In the child: build the file once, print seconds and memory as JSON."""
    _setup()
    from aggregation.models import Snapshot
    from aggregation.services import export_file
    from aggregation.source import FigureSource
    from survey.models import Round

    rnd = Round.objects.select_related("survey").get(pk=args.round)
    snapshot = Snapshot.objects.get(pk=args.snapshot) if args.snapshot else None
    before, cpu0 = _vm("VmHWM"), _cpu()
    t0 = time.perf_counter()
    figures = export_file(FigureSource(rnd, snapshot), args.out, fmt=args.format)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "rss_before_mb": round(before),
                      "peak_rss_mb": round(_vm("VmHWM")), "ru_maxrss_mb": round(ru_maxrss),
                      "targets": figures["targets"], "responses": figures["responses"],
                      "file_mb": round(Path(args.out).stat().st_size / 1e6, 1)}))


def _vm(key: str) -> float:
    """A /proc/self/status figure in MB (VmHWM: this process's peak resident memory)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(env, round_id: int, out: Path, fmt: str, snapshot: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--build-round", str(round_id), "--out", str(out), "--format", fmt]
    if snapshot:
        cmd += ["--snapshot", str(snapshot)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1788)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--with-snapshot", action="store_true", help="also freeze and build from the snapshot")
    parser.add_argument("--csv", action="store_true", help="also time the CSV")
    parser.add_argument("--build-round", type=int, dest="round", help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="xlsx", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.round:
        return build_child(args)
    admin_url, bench_url = bench_database(os.environ.get("DATABASE_URL", ""))
    recreate(admin_url, bench_url)
    os.environ["DATABASE_URL"] = bench_url
    try:
        _bench(args, bench_url)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate(admin_url, bench_url, drop_only=True)


def _bench(args, bench_url: str) -> None:
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_organizations", stdout=open(os.devnull, "w"))  # noqa: SIM115
    synthesise_orgs(args.responses)
    t0 = time.perf_counter()
    round_id = load_round(args.responses)
    print(f"data: {args.responses} responses loaded in {time.perf_counter() - t0:.1f} s ({os.cpu_count()} cores)")
    print(f"raw SQL: {json.dumps(raw_sql_figures(round_id))}")
    env = {**os.environ, "DATABASE_URL": bench_url}
    out = Path(f"/tmp/bench_aggregate_{args.responses}.xlsx")
    print(f"workbook: {json.dumps(run_child(env, round_id, out, 'xlsx'))}  -> {out}")
    if args.csv:
        print(f"csv: {json.dumps(run_child(env, round_id, out.with_suffix('.csv'), 'csv'))}")
    if args.with_snapshot:
        _bench_snapshot(env, round_id, out)


def _bench_snapshot(env, round_id: int, out: Path) -> None:
    from aggregation.services import snapshot_create
    from survey.models import Round

    t0 = time.perf_counter()
    snapshot = snapshot_create(round=Round.objects.get(pk=round_id), acting_user=None, label="bench")
    print(f"snapshot: {snapshot.response_count} versions, {snapshot.fact_count} facts in "
          f"{time.perf_counter() - t0:.2f} s")
    print(f"workbook from snapshot: {json.dumps(run_child(env, round_id, out.with_name(out.stem + '_snap.xlsx'), 'xlsx', snapshot.pk))}")


if __name__ == "__main__":
    main()
