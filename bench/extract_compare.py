"""Same extraction results before and after a change of the reader: every file of a folder
through a reader worker's `handle` (check, calamine, extraction, SHA-256), one line per file.

    .venv/bin/python bench/extract_compare.py write /tmp/files      # once, from either tree
    (cd OLD_TREE && .venv/bin/python bench/extract_compare.py extract /tmp/files /tmp/old.txt)
    (cd NEW_TREE && .venv/bin/python bench/extract_compare.py extract /tmp/files /tmp/new.txt)
    cmp /tmp/old.txt /tmp/new.txt

`write` puts into the folder: 150 bench sheets (the portal's writer, as bench/extract_stages.py
writes them), the LibreOffice/hand-built corpus of tests/workbook/corpus (needs soffice), the
.xls fixtures of tests/workbook/data, hostile workbooks (many sheets, many ODS tables, a part
bomb, a zip bomb) and 120 damaged bench sheets (flipped bits, truncated, stored and flipped,
a part given a DOCTYPE, a comment, a PI, a stray "<" or a far cell). `extract` reads them all
twice in one process, in order and then reversed, so that what a worker keeps between files
(the container check's parts, the memos) acts as it does in a worker.
"""
from __future__ import annotations

import io
import os
import random
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)  # this tree's code, whatever folder it was started from
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def write(out: Path) -> None:
    import extract_stages

    out.mkdir(parents=True, exist_ok=True)
    _, sheets = extract_stages.sheets(150)  # sets Django up
    for name, data in sheets:
        (out / f"bench-{name}").write_bytes(data)
    from tests.workbook import hostile_workbooks as hostile
    from tests.workbook.corpus.build import write_corpus

    for path, _built in write_corpus(out / "_corpus").values():
        shutil.copyfile(path, out / f"corpus-{path.name}")
    shutil.rmtree(out / "_corpus")
    for path in (ROOT / "tests/workbook/data").iterdir():
        shutil.copyfile(path, out / f"data-{path.name}")
    (out / "hostile-many-sheets-31.xlsx").write_bytes(hostile.many_sheets_xlsx(31))
    (out / "hostile-many-sheets-5.xlsx").write_bytes(hostile.many_sheets_xlsx(5, far="B2"))
    (out / "hostile-many-tables.ods").write_bytes(hostile.many_tables_ods(3, rows=10, cols=10))
    (out / "hostile-many-tables-big.ods").write_bytes(hostile.many_tables_ods(40))
    (out / "hostile-part-bomb.xlsx").write_bytes(hostile.sheet_part_bomb_xlsx(100))
    (out / "hostile-bomb.xlsx").write_bytes(hostile.bomb_zip(megabytes=50))
    rng = random.Random(7)
    for k in range(120):
        name, data = sheets[k % len(sheets)]
        (out / f"damaged{k:03d}-{name}").write_bytes(_damaged(data, k % 4, rng))
    print(f"{len(list(out.iterdir()))} files in {out}")


def _damaged(data: bytes, kind: int, rng: random.Random) -> bytes:
    b = bytearray(data)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == 1:
        return bytes(b[: rng.randrange(len(b) // 2, len(b))] + b[len(b) - 22:])
    archive, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    if kind == 2:
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as stored:
            for info in archive.infolist():
                stored.writestr(info.filename, archive.read(info))
        b = bytearray(buf.getvalue())
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    victim = rng.choice(archive.namelist())
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for info in archive.infolist():
            body = archive.read(info)
            if info.filename == victim and body.startswith(b"<?xml"):
                end = body.index(b"?>") + 2
                body = body[:end] + rng.choice([b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"<!-- c -->", b"<?pi x?>",
                                                b"\n<!DOCTYPE x>", b"<", b'<c r="XFD1048576"/>']) + body[end:]
            rewritten.writestr(info.filename, body)
    return buf.getvalue()


def extract(folder: Path, out_path: Path) -> None:
    import django

    django.setup()
    from survey.engine.loading import load_definition
    from survey.services.rounds import default_definition_path
    from survey.workbook.safety import DEFAULT_LIMITS
    from survey.workbook.worker import handle

    defn = load_definition(default_definition_path())
    files = sorted(folder.iterdir())
    with open(out_path, "w") as out:
        for path in files + files[::-1]:
            out.write(f"{path.name}\t{handle((str(path), path.name, defn, DEFAULT_LIMITS))!r}\n")
    print(f"{len(files)} files read twice by {ROOT}: {out_path}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "extract":
        extract(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
