"""CPU per password check: Django's default Argon2 parameters against the portal's.

    .venv/bin/python bench/password_hash.py [--checks 30]

Hashes one password with each hasher, then times --checks verifications (what each sign-in
costs) in this process: wall and CPU milliseconds per check, median and max, and the sign-ins
per second that the machine's cores could do at that CPU cost. Needs no database.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: E402

from survey.hashers import PortalArgon2PasswordHasher  # noqa: E402

PASSWORD = "correct-horse-battery-staple-1"


def measure(hasher, checks: int) -> tuple[list[float], list[float]]:
    encoded = hasher.encode(PASSWORD, hasher.salt())
    hasher.verify(PASSWORD, encoded)  # warm-up
    wall, cpu = [], []
    for _ in range(checks):
        w0, c0 = time.perf_counter(), time.process_time()
        assert hasher.verify(PASSWORD, encoded)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=30)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"password check, {args.checks} checks each; {cores} cores, load average {os.getloadavg()[0]:.2f}")
    for label, hasher in [("Django default argon2id m=100 MiB t=2 p=8", Argon2PasswordHasher()),
                          ("portal        argon2id m=19 MiB  t=2 p=1", PortalArgon2PasswordHasher())]:
        wall, cpu = measure(hasher, args.checks)
        cpu_median = statistics.median(cpu)
        print(f"  {label}: wall median {statistics.median(wall):6.1f} ms (max {max(wall):6.1f}), "
              f"CPU median {cpu_median:6.1f} ms (max {max(cpu):6.1f}) "
              f"-> at most {cores * 1000 / cpu_median:5.0f} sign-ins/s on {cores} cores")


if __name__ == "__main__":
    main()
