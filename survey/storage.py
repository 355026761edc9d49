"""Private file storage: uploaded answer sheets and generated files, outside the web root.

Files are saved under settings.PRIVATE_STORAGE_ROOT with a random (uuid4) name, never the
name the user gave, and are addressed by a path relative to that root. There is no URL for
them: a view serves one with `private_download` only after checking the user may see it.
"""
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils import timezone

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_TYPE = "application/zip"


def _root() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT).resolve()


def private_path(relative: str) -> Path:
    """The absolute path of a stored file; refuses anything that would leave the root."""
    root = _root()
    path = (root / relative).resolve()
    if not relative or root not in path.parents:
        raise Http404
    return path


def new_private_path(*, folder: str, suffix: str) -> tuple[str, Path]:
    """A fresh (relative, absolute) path for a file to be written, its folder created."""
    suffix = "".join(c for c in suffix.lower() if c.isalnum() or c == ".")[:10]
    relative = f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"
    path = private_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return relative, path


CHUNK = 256 * 1024


def private_save(data: bytes, *, folder: str, suffix: str = "") -> str:
    """Write `data` under a new random name; returns the relative path to keep in the database."""
    return private_save_stream([data], folder=folder, suffix=suffix)


def private_save_stream(chunks: Iterable[bytes], *, folder: str, suffix: str = "") -> str:
    """Write `chunks` one by one under a new random name (never the whole file in memory);
    returns the relative path. Whatever `chunks` raises (a bound passed) leaves no file."""
    relative, path = new_private_path(folder=folder, suffix=suffix)
    write_chunks(path, chunks)
    return relative


def write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """Write `chunks` to a new file at `path`, through a temporary name so that a reader never
    sees half a file; on any error the partial file is removed and the error raised."""
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_chunks(path: Path, size: int = CHUNK):
    """The bytes of a file, `size` at a time."""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def private_read(relative: str) -> bytes:
    """The bytes of a stored file."""
    return private_path(relative).read_bytes()


def private_delete(relative: str) -> None:
    """Remove a stored file (used when the row that would have pointed at it was not saved)."""
    if relative:
        private_path(relative).unlink(missing_ok=True)


def private_delete_folder(relative: str) -> None:
    """Remove a folder of working files (e.g. a job's expanded zip entries) and all it holds."""
    shutil.rmtree(private_path(relative), ignore_errors=True)


def private_download(relative: str, *, filename: str, content_type: str) -> FileResponse:
    """Serve a stored file as an attachment. The CALLER checks permission first."""
    path = private_path(relative)
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
