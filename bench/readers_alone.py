"""Benchmark: the reader workers alone (stage 1 of a bulk import), CPU of the child processes.

    .venv/bin/python bench/readers_alone.py [--count 200] [--times 10] [--processes 2] [--profile DIR]

Writes --count filled sheets (as bench/extract_stages.py does) to a temporary folder, then has a
`SheetReaderPool(--processes)` read --count x --times files from disk (each sheet --times over, in
order) as a bulk import does (stage 1 only: `_extract_in_order`), and prints the wall time and the
CPU time of the children (their user + system time, counted when the pool has stopped them).
With --profile DIR, each worker runs `worker.main` under cProfile timed by CPU (not wall: on a
shared machine a wall profile counts the waits) and writes DIR/worker-N.prof when it stops (the pool
is unchanged: only the child's command line differs; the profile leaves out the imports).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def profiled_popen(popen, folder: Path):
    """subprocess.Popen for the pool's workers, their `main` run under a CPU-time cProfile."""
    seq = iter(range(10**6))

    def start(args, **kwargs):
        if args[1:3] == ["-m", "survey.workbook.worker"]:
            out = folder / f"worker-{next(seq)}.prof"
            code = ("import cProfile, sys, time; from survey.workbook import worker; "
                    "p = cProfile.Profile(time.process_time); p.enable(); "
                    f"worker.main(sys.argv[1:]); p.disable(); p.dump_stats({str(out)!r})")
            args = [args[0], "-c", code, *args[3:]]
        return popen(args, **kwargs)

    return start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    import extract_stages

    defn, sheets = extract_stages.sheets(args.count)
    from survey.workbook import isolation

    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        isolation.subprocess.Popen = profiled_popen(isolation.subprocess.Popen, args.profile)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in sheets:
            (Path(tmp) / name).write_bytes(data)
            paths.append((name, Path(tmp) / name))
        files = paths * args.times
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        cpu, wall = children_cpu(), time.perf_counter()
        outcomes: dict[str, int] = {}
        with isolation.SheetReaderPool(args.processes) as pool:
            for _, outcome in pool._extract_in_order(files, defn):
                outcomes[outcome[0]] = outcomes.get(outcome[0], 0) + 1
        wall, cpu = time.perf_counter() - wall, children_cpu() - cpu
    print(f"{len(files)} files, {args.processes} workers (load before {load}): wall {wall:.2f} s, "
          f"children CPU {cpu:.2f} s ({cpu / len(files) * 1000:.3f} ms a file); outcomes {outcomes}")


if __name__ == "__main__":
    main()
