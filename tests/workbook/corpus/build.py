"""Writes the corpus into a folder: each case built with openpyxl, then re-saved by LibreOffice
where the case says so (one `soffice --headless --convert-to` run per format)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .cases import CASES, Case
from .ministry import Built, build

SOFFICE_TIMEOUT = 300


def build_case(case: Case) -> Built:
    return build(case.layout, case.typed_respondent(), case.typed_answers())


def write_corpus(folder: Path) -> dict[str, tuple[Path, Built]]:
    """Case id -> (file, what the builder built) for every case, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    built = {c.id: build_case(c) for c in CASES}
    out: dict[str, tuple[Path, Built]] = {}
    pending: dict[str, list[Case]] = {}
    for case in CASES:
        if case.convert is None:
            path = folder / f"{case.id}.xlsx"
            path.write_bytes(built[case.id].data)
            out[case.id] = (path, built[case.id])
        else:
            pending.setdefault(case.convert, []).append(case)
    for fmt, cases in pending.items():
        for case, path in zip(cases, _convert(folder, fmt, [(c.id, built[c.id].data) for c in cases]), strict=True):
            out[case.id] = (path, built[case.id])
    return out


def _convert(folder: Path, fmt: str, files: list[tuple[str, bytes]]) -> list[Path]:
    """LibreOffice re-saves `files` as `fmt`; the results land in `folder` as <id>.<fmt>."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is needed to build the corpus")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst, profile = Path(tmp, "src"), Path(tmp, "dst"), Path(tmp, "profile")
        src.mkdir()
        for name, data in files:
            (src / f"{name}.xlsx").write_bytes(data)
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
                        "--outdir", str(dst), *[str(src / f"{n}.xlsx") for n, _ in files]],
                       check=True, capture_output=True, timeout=SOFFICE_TIMEOUT)
        paths = []
        for name, _ in files:
            target = folder / f"{name}.{fmt}"
            shutil.copyfile(dst / f"{name}.{fmt}", target)
            paths.append(target)
    return paths
