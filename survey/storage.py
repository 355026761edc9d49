"""Private file storage: uploaded answer sheets and generated files, outside the web root.

Every private file goes through one Django storage, `storages["private"]` (settings.STORAGES),
so the shared disk of a multi-node installation can be replaced by an S3-compatible store
(django-storages) by configuration alone. Files are saved under a random (uuid4) name, never
the name the user gave, and are addressed by that name (a path relative to the storage).
There is no URL for them: a view serves one with `private_download` only after checking that
the user may see it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_TYPE = "application/zip"
CHUNK = 256 * 1024


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage at settings.PRIVATE_STORAGE_ROOT, files 0600 and folders 0700.

    The root is read at each use rather than once, so that a changed setting (tests) applies.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, str(settings.PRIVATE_STORAGE_ROOT))

    def _save(self, name, content):
        """FileSystemStorage's save, without leaving a half-written file behind when a write
        fails (the disk full, a quota, an I/O error): the caller's transaction rolls back, and no
        file of it may remain."""
        try:
            return super()._save(name, content)
        except OSError:
            try:
                os.remove(self.path(name))
            except FileNotFoundError:
                pass
            raise

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage() -> Storage:
    """The storage of every private file (STORAGES["private"])."""
    return storages["private"]


def _checked(name: str) -> str:
    """A stored file's name as the database keeps it; 404 for anything that could leave the storage."""
    path = PurePosixPath(name or "")
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise Http404
    return name


def _new_name(folder: str, suffix: str) -> str:
    suffix = "".join(c for c in suffix.lower() if c.isalnum() or c == ".")[:10]
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def private_save(data: bytes, *, folder: str, suffix: str = "") -> str:
    """Store `data` under a new random name; returns the name to keep in the database."""
    return private_storage().save(_new_name(folder, suffix), ContentFile(data))


def private_save_file(local: Path, *, folder: str, suffix: str = "") -> str:
    """Store the local file `local` (read in chunks) under a new random name; returns the name."""
    with open(local, "rb") as fh:
        return private_storage().save(_new_name(folder, suffix), File(fh))


class _LocalFile(File):
    """A local working file handed to the storage to keep: a disk storage moves it (a rename on
    the same filesystem) instead of copying it, as it does with a temporary upload."""

    def __init__(self, path: Path):
        super().__init__(open(path, "rb"), name=path.name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def private_keep_file(local: Path, *, folder: str, suffix: str = "") -> str:
    """Store the local working file `local` under a new random name and remove it from where it
    was (moved on a disk storage, copied then deleted elsewhere); returns the name."""
    with _LocalFile(local) as content:
        name = private_storage().save(_new_name(folder, suffix), content)
    local.unlink(missing_ok=True)
    return name


def private_save_stream(chunks: Iterable[bytes], *, folder: str, suffix: str = "") -> str:
    """Store `chunks` under a new random name, never holding the whole file in memory; returns
    the name. Whatever `chunks` raises (a bound passed) stores nothing."""
    with private_output(folder=folder, suffix=suffix) as out:
        write_chunks(out.path, chunks)
    return out.name


def write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """Write `chunks` to a new local file at `path`, through a temporary name so that a reader
    never sees half a file; on any error the partial file is removed and the error raised."""
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
    """The bytes of a local file, `size` at a time."""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def _on_disk(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def private_workdir(relative: str) -> Path:
    """A local folder for a job's working files (e.g. expanded zip entries), created 0700.

    Inside the private storage when that is a disk the nodes share, else under the system's
    temporary folder. Remove it with `private_delete_folder`."""
    base = _workdir_path(relative)
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


def _workdir_path(relative: str) -> Path:
    storage = private_storage()
    return Path(storage.path(_checked(relative))) if _on_disk(storage) else (
        Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()) / "chosa-work" / relative)


def private_local_file(name: str, *, workdir: Path) -> Path:
    """A local path to read the stored file `name`: the file itself on a disk storage, else a
    copy made in `workdir`."""
    storage = private_storage()
    if _on_disk(storage):
        return Path(storage.path(_checked(name)))
    local = workdir / f"stored-{uuid.uuid4().hex}{PurePosixPath(name).suffix[:10]}"
    with storage.open(_checked(name), "rb") as fh:
        write_chunks(local, fh.chunks())
    return local


def private_stored_name(local: Path) -> str | None:
    """The name a local file has in the storage when it is already there (a file in a
    `private_workdir` of a disk storage): its path relative to the storage's root; None on
    another storage, or for a path outside the root."""
    storage = private_storage()
    if not _on_disk(storage):
        return None
    try:
        relative = Path(local).relative_to(storage.location)
    except ValueError:
        return None
    return relative.as_posix() if relative.parts else None


def private_workdirs(relative: str, pattern: str) -> list[str]:
    """The working folders under `relative` whose path below it matches the glob `pattern`, as
    names for `private_workdir` (none created: only those that exist)."""
    base = _workdir_path(relative)
    if not base.is_dir():
        return []
    return sorted(f"{relative}/{path.relative_to(base).as_posix()}" for path in base.glob(pattern) if path.is_dir())


def private_delete_folder(relative: str) -> None:
    """Remove a folder of working files made by `private_workdir` and all it holds."""
    shutil.rmtree(private_workdir(relative), ignore_errors=True)


@contextmanager
def private_output(*, folder: str, suffix: str = "") -> Iterator[PrivateOutput]:
    """A local file to write a large result into, stored when the block ends without an error.

        with private_output(folder="exports", suffix=".xlsx") as out:
            write_workbook(out.path)
        job.result_path = out.name

    The file is built in a temporary folder (FILE_UPLOAD_TEMP_DIR or the system's) and then
    saved through the storage, so nobody ever sees half a file, whatever the storage is.
    """
    tmpdir = tempfile.mkdtemp(prefix="chosa-out-", dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        out = PrivateOutput(Path(tmpdir) / f"result{suffix}")
        yield out
        out.name = private_save_file(out.path, folder=folder, suffix=suffix)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


class PrivateOutput:
    """`path`: where to write; `name`: the stored file's name once the block has ended."""

    def __init__(self, path: Path):
        self.path = path
        self.name = ""


def private_read(name: str) -> bytes:
    """The bytes of a stored file."""
    with private_storage().open(_checked(name), "rb") as fh:
        return fh.read()


def private_exists(name: str) -> bool:
    """True when the stored file is there."""
    return bool(name) and private_storage().exists(_checked(name))


def private_delete(name: str) -> None:
    """Remove a stored file (used when the row that would have pointed at it was not saved)."""
    if name:
        private_storage().delete(_checked(name))


def private_download(name: str, *, filename: str, content_type: str) -> HttpResponse:
    """Serve a stored file as an attachment. The CALLER checks permission first.

    With PRIVATE_X_ACCEL_PREFIX set (nginx sees the file store, deploy/nginx), the response is
    empty and names the file in X-Accel-Redirect: nginx sends it from an `internal` location,
    and no gunicorn worker is held while a large file goes out."""
    storage = private_storage()
    if not storage.exists(_checked(name)):
        raise Http404
    prefix = settings.PRIVATE_X_ACCEL_PREFIX
    if prefix and _on_disk(storage):
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["X-Content-Type-Options"] = "nosniff"
        return response
    response = FileResponse(storage.open(name, "rb"), as_attachment=True, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
