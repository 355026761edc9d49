"""Benchmark: a reader worker's work per sheet (stage 1, `extract_sheet`), stage by stage, in this process.

    .venv/bin/python bench/extract_stages.py [--count 400] [--rounds 3]

Writes --count filled sheets with the portal's writer (no database: a made-up round and
organisations), then extracts them all --rounds times and prints, per sheet, the CPU time of the
best round and of each stage inside it (the safety check, calamine, the protection hints,
locating the cells, the respondent fields). Steadier than the bulk import on a shared machine:
one process, CPU time; compare two trees by running each tree's copy one after the other.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

STAGES = ("check_workbook", "_read_grids", "_find_table", "unlocked_cells", "_read_respondent", "_find_identity")


def sheets(count: int):
    """(definition, [(name, bytes)]): valid random answers, one made-up municipality per sheet."""
    import django

    django.setup()
    from survey.engine.loading import load_definition
    from survey.services.rounds import default_definition_path
    from survey.synthetic import random_answers, random_respondent
    from survey.workbook import write_answer_sheet
    from survey.workbook.model import SheetContext

    defn = load_definition(default_definition_path())
    out = []
    for seq in range(count):
        kind = "prefecture" if seq % 40 == 0 else "municipality"
        ctx = SheetContext(round_id=1, round_title="ベンチマーク", org_code=f"{10000 + seq:06d}",
                           org_display_name=f"ベンチ市{seq}", org_section="市区町村", org_kind=kind,
                           scheme=defn.scheme, attribute="", deadline="2026-12-31", template_version="3")
        rng = random.Random(seq)
        respondent = random_respondent(ctx.org_display_name, ctx.org_section, rng, domain="example.lg.jp")
        out.append((f"{ctx.org_code}.xlsx", write_answer_sheet(defn, context=ctx, answers=random_answers(defn, kind, rng),
                                                              respondent=respondent)))
    return defn, out


def timed(module, name: str, spent: collections.Counter) -> None:
    """Wrap `module.name` so that its CPU time adds up in `spent[name]`."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start

    setattr(module, name, wrapper)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    defn, files = sheets(args.count)
    from survey.workbook import extract

    originals = {name: getattr(extract, name) for name in STAGES}
    rounds = []
    for _ in range(args.rounds):
        spent: collections.Counter = collections.Counter()
        for name in STAGES:
            timed(extract, name, spent)
        start = time.process_time()
        for name, data in files:
            extract.extract_sheet(data, name, defn)
        spent["extract_sheet"] = time.process_time() - start
        rounds.append(spent)
        for name, inner in originals.items():  # unwrapped for the next round
            setattr(extract, name, inner)
    best = min(rounds, key=lambda r: r["extract_sheet"])
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"extract_sheet over {len(files)} sheets, best of {args.rounds} rounds (load {load}), CPU ms per sheet:")
    for name in ("extract_sheet", *STAGES):
        print(f"  {name:18s} {best[name] / len(files) * 1000:.3f}")
    print(f"  {'rest (table walk)':18s} {(best['extract_sheet'] - sum(best[n] for n in STAGES)) / len(files) * 1000:.3f}")


if __name__ == "__main__":
    main()
