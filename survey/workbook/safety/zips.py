"""Zip containers read with streaming bounds: the central directory, bulk zips expanded entry by entry."""

from __future__ import annotations

import io
import posixpath
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from .limits import (
    BOMB,
    CHUNK,
    CORRUPT,
    DEFAULT_LIMITS,
    NESTED_ZIP,
    NOT_WORKBOOK,
    TOO_MANY,
    WORKBOOK_EXTENSIONS,
    Limits,
    T,
    UploadFile,
    UploadRejected,
    _reject,
    _size,
    too_large,
)


def _central_directory(fh: BinaryIO) -> tuple[int, int]:
    """(entry count, central directory size) from the end record, before zipfile parses it."""
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - (65535 + 22)))
    tail = fh.read()
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _reject("corrupt", CORRUPT.format(detail="ZIPの終端がありません"))
    _, _, _, _, count, cd_size, _, _ = struct.unpack("<IHHHHIIH", tail[pos:pos + 22])
    if count == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: read the zip64 end record if present
        loc = tail.rfind(b"PK\x06\x07", 0, pos)
        if loc < 0:
            raise _reject("corrupt", CORRUPT.format(detail="ZIP64の終端がありません"))
        offset = struct.unpack("<Q", tail[loc + 8:loc + 16])[0]
        fh.seek(offset)
        rec = fh.read(56)
        if len(rec) < 56 or rec[:4] != b"PK\x06\x06":
            raise _reject("corrupt", CORRUPT.format(detail="ZIP64の終端が不正です"))
        count, cd_size = struct.unpack("<QQ", rec[32:48])
    return count, cd_size


def zip_directory(fh: BinaryIO) -> tuple[int, int]:
    """(entry count, central directory bytes) of a zip, read from its end record alone: what
    zipfile would parse, known before it parses it. UploadRejected for a file without one."""
    return _central_directory(fh)


def _open_zip(fh: BinaryIO, max_entries: int, limits: Limits) -> zipfile.ZipFile:
    """A zip read from `fh` (a file or BytesIO), its directory bounded before zipfile parses it."""
    count, size = _central_directory(fh)
    if count > max_entries or size > limits.max_central_directory:
        raise _reject("too_many_entries", TOO_MANY.format(limit=max_entries))
    try:
        fh.seek(0)
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise _reject("corrupt", CORRUPT.format(detail=type(exc).__name__)) from None
    if len(zf.infolist()) > max_entries:
        raise _reject("too_many_entries", TOO_MANY.format(limit=max_entries))
    return zf


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, total_left: int, total_limit: int,
            codes: tuple[str, str] = ("decompressed_too_large", "decompressed_too_large")):
    """Yield the decompressed chunks of an entry, counting bytes as they come.

    `codes`: the rejection codes for the entry's own limit and for the running total.
    """
    seen = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                seen += len(chunk)
                if seen > limit:
                    raise _reject(codes[0], BOMB.format(limit=_size(limit)))
                if seen > total_left:
                    raise _reject(codes[1], BOMB.format(limit=_size(total_limit)))
                yield chunk
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError,
            RuntimeError) as exc:
        detail = "暗号化されたZIP" if "encrypted" in str(exc) else type(exc).__name__
        raise _reject("corrupt", CORRUPT.format(detail=detail)) from None


# -- the upload zip ---------------------------------------------------------------------------


def _entry_name(info: zipfile.ZipInfo) -> str:
    """A safe, readable entry name: Windows (cp932) names repaired, no '..', no control chars."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("cp932")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    name = name.replace("\\", "/")
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    parts = [p for p in posixpath.normpath("/" + name).split("/") if p not in ("", ".", "..")]
    return "/".join(parts)[-200:] or "(名前なし)"


def _ignored(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith(".") or base in ("Thumbs.db", "desktop.ini")


def is_zip_upload(filename: str, data: bytes) -> bool:
    """A bulk upload: a .zip (by name); a workbook is a zip too, but is named as one."""
    return filename.lower().endswith(".zip")


def open_upload(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> list[UploadFile]:
    """The files of an upload held in memory: a workbook alone, or every entry of a .zip (bounded).

    Raises UploadRejected for the upload as a whole (too large, corrupt zip, too many entries,
    total decompressed size over the limit); an entry that is not a workbook, a nested zip or
    an entry over the per-entry limit comes back with its `error` and no data. For uploads on
    disk use `expand_zip`, which never holds an entry in memory.
    """
    if len(data) > limits.max_upload_bytes:
        raise too_large(len(data), limits.max_upload_bytes)
    if not is_zip_upload(filename, data):
        return [UploadFile(filename, data, None)]
    entries = expand_zip(io.BytesIO(data), lambda _name, chunks: b"".join(chunks), limits)
    return [UploadFile(name, None, got) if isinstance(got, UploadRejected) else UploadFile(name, got, None)
            for name, got in entries]


def expand_zip(fh: BinaryIO, write: Callable[[str, Iterator[bytes]], T],
               limits: Limits = DEFAULT_LIMITS, *, already: int = 0) -> list[tuple[str, T | UploadRejected]]:
    """Every entry of the zip in `fh`, one at a time: `write(name, chunks)` consumes an entry's
    decompressed chunks (e.g. into a file) and returns what stands for it.

    Bounds are checked as the chunks come: an entry past the per-entry bound, or corrupt, is
    that entry's UploadRejected (`write` must leave nothing behind when its chunks raise); past
    the total bound (counting `already`: bytes other zips of the same batch expanded) the whole
    upload is refused (raised). Entries that are not workbooks and nested zips are refused by
    name, without being decompressed.
    """
    zf = _open_zip(fh, limits.max_zip_entries, limits)
    entries: list[tuple[str, T | UploadRejected]] = []
    total = already
    for info in zf.infolist():
        name = _entry_name(info)
        if info.is_dir() or _ignored(name):
            continue
        refusal = _entry_refusal(name)
        if refusal is not None:
            entries.append((name, refusal))
            continue
        seen = [0]
        chunks = _counted(_stream(zf, info, limits.max_zip_entry_bytes, limits.max_zip_total_bytes - total,
                                  limits.max_zip_total_bytes, ("entry_too_large", "decompressed_too_large")), seen)
        try:
            entries.append((name, write(name, _workbook_head(chunks))))
        except UploadRejected as exc:
            if exc.code not in ("entry_too_large", "corrupt", "not_a_workbook_content"):
                raise  # the whole upload is over its bounds
            entries.append((name, exc))
            continue
        total += seen[0]
    return entries


_WORKBOOK_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04")  # .xls; .xlsx/.xlsm/.ods


def _workbook_head(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, once the first bytes show a workbook container; an entry that is not one is
    refused there, before the rest of it is decompressed or written anywhere. Its code is not
    "not_a_workbook" (an entry skipped by its name, e.g. a cover letter): a file named as a
    workbook that is not one is an error of that file."""
    head = b""
    for chunk in chunks:
        if head is not None:
            head += chunk
            if len(head) < 8:
                continue
            if not head.startswith(_WORKBOOK_MAGIC):
                raise _reject("not_a_workbook_content", NOT_WORKBOOK)
            chunk, head = head, None
        yield chunk
    if head is not None:  # shorter than any workbook
        raise _reject("not_a_workbook_content", NOT_WORKBOOK)


def _counted(chunks: Iterator[bytes], seen: list[int]) -> Iterator[bytes]:
    for chunk in chunks:
        seen[0] += len(chunk)
        yield chunk


def _entry_refusal(name: str) -> UploadRejected | None:
    lower = name.lower()
    if lower.endswith(".zip"):
        return _reject("nested_zip", NESTED_ZIP)
    if not lower.endswith(WORKBOOK_EXTENSIONS):
        return _reject("not_a_workbook", NOT_WORKBOOK)
    return None


# -- one workbook -----------------------------------------------------------------------------




_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
_PLAIN_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, compressed patched data, strong encryption


def _whole_part(data: bytes, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """An entry of the zip held in `data`, decompressed at once, when it is what zipfile would
    give without any doubt: stored or deflated, not encrypted, its local header naming it as
    the directory does, its deflate stream ending at exactly the declared size (never more than
    `limit` + 1 bytes produced, whatever the stream holds) and its CRC right. None otherwise
    (a declared size over `limit`, anything odd or broken): the caller then streams the entry
    through zipfile (`_stream`), which counts the bytes as they come and refuses or fails as it
    always did. So this only skips zipfile's per-chunk machinery for the plain case; the bytes,
    and so everything checked on them, are the same.
    """
    size = info.file_size
    if size > limit or info.flag_bits & _PLAIN_FLAGS or info.compress_type not in (zipfile.ZIP_STORED,
                                                                                     zipfile.ZIP_DEFLATED):
        return None
    start = info.header_offset
    header = data[start:start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        return None
    magic, _, _, flags, _, _, _, _, _, _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    if magic != b"PK\x03\x04":
        return None
    name_at = start + _LOCAL_HEADER.size
    try:
        name = data[name_at:name_at + name_len].decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        return None
    if name != info.orig_filename:
        return None
    body_at = name_at + name_len + extra_len
    body = data[body_at:body_at + info.compress_size]
    if len(body) != info.compress_size:
        return None
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != size:
            return None
        out = body
    else:
        inflate = zlib.decompressobj(-15)
        try:
            out = inflate.decompress(body, size + 1)
        except zlib.error:
            return None
        if not inflate.eof or len(out) != size:
            return None
    return out if zlib.crc32(out) == info.CRC else None
