"""Attached files: outlines for follow-ups that accept them, and the organisation's procedure documents.

A file is accepted by its content (magic bytes, the parts inside an Office zip), not its name;
it is stored in private storage under a random name. Each saved version lists the files it
counted (Attachment.versions).

Bounded storage (what one organisation can put on the shared disk):
- Quota per organisation and round (one Response): ATTACHMENT_QUOTA_FILES files and
  ATTACHMENT_QUOTA_BYTES bytes. The quota counts what is *stored*: every file still on disk,
  live or removed-but-kept. Checked with the response row locked, so concurrent uploads cannot
  both slip under it.
- Per request: ATTACHMENT_REQUEST_MAX_FILES files, ATTACHMENT_REQUEST_MAX_BYTES bytes in all
  (the upload view), and UPLOAD_MAX_BYTES per file.
- Removal keeps the row (the audit log and the versions point at it) and decides the file's
  fate once, with the response locked:
  * a file that a *submitted* version counted stays in storage: it is part of what the
    organisation submitted, and the ministry may still open that version. It keeps counting
    towards the quota (the officer is told so).
  * any other file (attached to no version, or only to drafts, which are working states and
    are superseded) is deleted from storage right after the transaction commits
    (`file_deleted_at` set, the row kept). Deleting at once rather than after a retention
    period needs no scheduler and gives the space back immediately; an officer who removed a
    file by mistake attaches it again. A draft page that listed such a file shows it as deleted.
  The DETACH audit row says which (`file`: "deleted" or "kept_submitted") with name, size and
  SHA-256, so what existed stays on record.
"""
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from survey import storage
from survey.audit import Action, audit
from survey.joined import Joined, Part
from survey.models import (
    Attachment,
    AttachmentPurpose,
    Response,
    ResponseStatus,
    ResponseVersion,
    RoundTarget,
    User,
)
from survey.services.locks import response_writable
from survey.workbook.safety import UploadRejected, zip_directory

# Audit actions of this feature.
ATTACH = Action.ATTACH
DETACH = Action.DETACH
DOWNLOAD = Action.DOWNLOAD

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = storage.XLSX_TYPE
TEXT = "text/plain"
PNG = "image/png"
JPEG = "image/jpeg"
# Extensions allowed for each sniffed type.
EXTENSIONS = {PDF: {".pdf"}, DOCX: {".docx"}, XLSX: {".xlsx"}, TEXT: {".txt"}, PNG: {".png"},
              JPEG: {".jpg", ".jpeg"}}
ACCEPT = ",".join(sorted(ext for exts in EXTENSIONS.values() for ext in exts))
ACCEPTED_LABEL = "PDF、Word（.docx）、Excel（.xlsx）、テキスト（.txt）、画像（.png、.jpg）"
ZIP_MAX_ENTRIES = 2000
FILE_DELETED, FILE_KEPT_SUBMITTED = "deleted", "kept_submitted"  # what removal did with the file (audit)


@dataclass(frozen=True)
class Problem:
    """Why one file was refused: a code and a Japanese message naming the file."""

    code: str
    message: str


@dataclass
class AddOutcome:
    added: list[Attachment] = field(default_factory=list)
    duplicates: list[tuple[str, Attachment]] = field(default_factory=list)  # (name given, the file kept)
    rejected: list[Problem] = field(default_factory=list)


@dataclass
class Usage:
    """What an organisation's response holds in storage now: `kept` of the files are removed ones
    that a submitted version counted."""

    files: int = 0
    bytes: int = 0
    kept: int = 0

    def refuses(self, size: int) -> bool:
        """True when one more file of `size` bytes would pass the quota."""
        return (self.files + 1 > settings.ATTACHMENT_QUOTA_FILES
                or self.bytes + size > settings.ATTACHMENT_QUOTA_BYTES)

    def quota_problem(self, name: str, organization) -> Problem:
        kept = f"、うち提出済みの版に含まれるため削除後も保存しているファイル {self.kept} 件" if self.kept else ""
        return Problem("quota", f"「{name}」は添付できませんでした。この調査回で{organization.display_name}が保存できる"
                                f"添付ファイルの上限（{settings.ATTACHMENT_QUOTA_FILES} 件・容量 "
                                f"{decimal_megabytes(settings.ATTACHMENT_QUOTA_BYTES)}）を超えます（現在 {self.files} 件・"
                                f"{decimal_megabytes(self.bytes)}{kept}）。不要なファイルを削除してから添付してください。")


class UploadClosed(Exception):
    """The round no longer takes answers: files can no longer be attached or removed."""

    def __init__(self):
        super().__init__("回答期限を過ぎているため、添付ファイルを変更できません。")


# --- content checks (pure) ---------------------------------------------------------------------


def _zip_kind(data: bytes) -> str | None:
    """DOCX or XLSX by the parts inside the zip; None for any other zip (or a broken one).
    The part count is read from the zip's end record first: zipfile would spend seconds and tens
    of MB parsing a directory of 100,000 parts."""
    try:
        count, _size = zip_directory(io.BytesIO(data))
    except UploadRejected:
        return None
    if count > ZIP_MAX_ENTRIES:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                return None
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        return None  # not Office Open XML, or macro-enabled
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp932"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(data: bytes, extension: str) -> str | None:
    """The content type of `data` judged by its bytes (the extension only chooses whether to try text)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if extension == ".txt" and _is_text(data):
        return TEXT
    return None


def check_file(name: str, data: bytes, *, limit: int) -> tuple[str | None, Problem | None]:
    """(content type, None) for an acceptable file, else (None, the reason it is refused)."""
    extension = PurePath(name).suffix.lower()
    if not data:
        return None, Problem("empty", f"「{name}」は空のファイルです。")
    if len(data) > limit:
        return None, Problem("too_large", f"「{name}」は大きすぎます（上限 {megabytes(limit)}）。")
    kind = sniff(data, extension)
    if kind is None:
        return None, Problem("type", f"「{name}」は受け付けられない形式です。{ACCEPTED_LABEL}のファイルを添付してください"
                                     "（マクロ付きのファイルは受け付けません）。")
    if extension not in EXTENSIONS[kind]:
        return None, Problem("extension", f"「{name}」は拡張子と内容が一致しません"
                                          f"（内容は{'・'.join(sorted(EXTENSIONS[kind]))}の形式です）。")
    return kind, None


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def decimal_megabytes(n: int) -> str:
    """Sizes near a quota, where a whole-MB figure would hide the difference (e.g. "2.4 MB")."""
    return f"{n / 1024 / 1024:.1f} MB"


def clean_name(name: str) -> str:
    """The file name as given, without any folder part or control characters, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable()).strip()
    return (base or "添付ファイル")[-255:]


# --- reads ---------------------------------------------------------------------------------------


def live_attachments(response: Response | None):
    """The files attached now (not removed), oldest first."""
    if response is None:
        return Attachment.objects.none()
    return Attachment.objects.filter(response=response, removed_at__isnull=True).select_related("uploaded_by")


def attached_keys(response: Response | None) -> frozenset[str]:
    """The follow-up keys with a live file: what engine.validate / indicators take as `attached`."""
    keys = live_attachments(response).filter(purpose=AttachmentPurpose.FOLLOWUP).values_list("followup_key", flat=True)
    return frozenset(keys)


def stored_usage(response: Response | None) -> Usage:
    """Files of the response still in storage, and their bytes: what the quota counts."""
    if response is None:
        return Usage()
    row = Attachment.objects.filter(response=response, file_deleted_at__isnull=True).aggregate(
        files=Count("pk"), bytes=Sum("size"), kept=Count("pk", filter=Q(removed_at__isnull=False)))
    return Usage(files=row["files"], bytes=row["bytes"] or 0, kept=row["kept"])


@dataclass(frozen=True)
class StoredFiles:
    """A response's files still in storage, read once for a page: the live ones (oldest first),
    the follow-up keys they stand in for (as `attached_keys`) and what the quota counts (as
    `stored_usage`). A live file is always stored: only a removal deletes one."""

    live: tuple[Attachment, ...] = ()
    usage: Usage = field(default_factory=Usage)

    @property
    def followup_keys(self) -> frozenset[str]:
        return frozenset(a.followup_key for a in self.live if a.purpose == AttachmentPurpose.FOLLOWUP)


def stored_files(response: Response | None) -> StoredFiles:
    """One query for what the edit and confirmation pages show of a response's files."""
    if response is None:
        return StoredFiles()
    stored = [_uploaded_by(a, user) for a, user in _STORED.rows([response.pk])]
    live = tuple(a for a in stored if a.removed_at is None)
    return StoredFiles(live=live, usage=Usage(files=len(stored), bytes=sum(a.size for a in stored),
                                              kept=len(stored) - len(live)))


def shown_files(response: Response, version: ResponseVersion | None, *,
                only_counted: bool = False) -> list[tuple[Attachment, bool]]:
    """For the read-only lists: the files `version` counted, then (unless `only_counted`) the live
    files it did not, each with whether it counted it; oldest first in each part. One query."""
    if only_counted:
        if version is None:
            return []
        rows = _COUNTED.rows([version.pk, response.pk, version.pk])
    else:
        version_id = version.pk if version is not None else None
        rows = _SHOWN.rows([version_id, response.pk, version_id])
    files = [(_uploaded_by(a, user), bool(counted)) for a, user, counted in rows]
    return sorted(files, key=lambda row: not row[1])  # stable: the counted first, each part in order


def _uploaded_by(attachment: Attachment, user: User) -> Attachment:
    attachment.uploaded_by = user
    return attachment


# A response's files with who uploaded them, from SQL written once per process (survey.joined): the
# ORM built these queries anew for each page. Attachment.Meta.ordering, as the ORM would order them.
_FILES = "FROM {a} INNER JOIN {u} ON u.id = a.uploaded_by_id WHERE a.response_id = %s AND "
_IN_VERSION = "a.id IN (SELECT c.attachment_id FROM {c} WHERE c.responseversion_id = %s)"
_ORDER = " ORDER BY a.uploaded_at, a.id"
# who uploaded: the name shown, never the password hash (a page has no use for it)
_UPLOADER = Part(User, "u", leave_out=("password",))
_STORED = Joined([Part(Attachment, "a"), _UPLOADER], _FILES + "a.file_deleted_at IS NULL" + _ORDER)
_SHOWN = Joined([Part(Attachment, "a"), _UPLOADER], _FILES + f"(a.removed_at IS NULL OR {_IN_VERSION})" + _ORDER,
                extra=(_IN_VERSION,), tables={"c": ResponseVersion.attachments.through})
_COUNTED = Joined([Part(Attachment, "a"), _UPLOADER], _FILES + _IN_VERSION + _ORDER,
                  extra=(_IN_VERSION,), tables={"c": ResponseVersion.attachments.through})


@dataclass(frozen=True)
class LiveFiles:
    """The files attached to a response now, read once for a save: the follow-up keys they stand
    in for (`attached_keys`) and their ids (`link_to_version`)."""

    ids: tuple[int, ...]
    followup_keys: frozenset[str]


def live_files(response: Response | None) -> LiveFiles:
    """What `live_attachments` holds, for a save: from SQL made once per process (a save reads it
    each time; the ORM would build this query anew for about seven times its CPU)."""
    if response is None:
        return LiveFiles(ids=(), followup_keys=frozenset())
    with connection.cursor() as cursor:
        cursor.execute(_live_files_sql(), [response.pk])
        rows = cursor.fetchall()
    return LiveFiles(ids=tuple(pk for pk, _, _ in rows),
                     followup_keys=frozenset(key for _, purpose, key in rows if purpose == AttachmentPurpose.FOLLOWUP))


@cache
def _live_files_sql() -> str:
    meta, quote = Attachment._meta, connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in ("id", "purpose", "followup_key", "response",
                                                                     "removed_at", "uploaded_at")}
    return (f"SELECT {column['id']}, {column['purpose']}, {column['followup_key']} FROM {quote(meta.db_table)} "
            f"WHERE {column['response']} = %s AND {column['removed_at']} IS NULL "
            f"ORDER BY {column['uploaded_at']}, {column['id']}")


def link_to_version(version: ResponseVersion, files: LiveFiles | None = None) -> None:
    """Record that `version` counted the files attached at the moment it was saved (`files`, read
    under the response's lock, or read now). A new version: nothing to compare with, and no
    insert without files."""
    ids = files.ids if files is not None else live_files(version.response).ids
    through = ResponseVersion.attachments.through
    through.objects.bulk_create([through(responseversion_id=version.pk, attachment_id=pk) for pk in ids])


# --- writes --------------------------------------------------------------------------------------


def check_purpose(target: RoundTarget, purpose: str, followup_key: str) -> str:
    """The follow-up key to store ('' for procedure documents); ValueError for a key that takes no file."""
    if purpose == AttachmentPurpose.PROCEDURE_DOCUMENT:
        return ""
    if purpose != AttachmentPurpose.FOLLOWUP:
        raise ValueError(purpose)
    followup = target.round.survey.engine.followups.get(followup_key)
    if followup is None or not followup.attachments:
        raise ValueError(followup_key)
    return followup_key


def _store(response, purpose, key, name, data, kind, acting_user) -> Attachment | None:
    """Save one checked file; None when the same content is already attached (concurrent upload)."""
    digest = hashlib.sha256(data).hexdigest()
    path = storage.private_save(data, folder="attachments", suffix=PurePath(name).suffix)
    try:
        with transaction.atomic():
            return Attachment.objects.create(
                response=response, purpose=purpose, followup_key=key, original_name=name, stored_path=path,
                size=len(data), sha256=digest, content_type=kind, uploaded_by=acting_user,
            )
    except IntegrityError:
        storage.private_delete(path)
        return None


def _duplicate_of(response, purpose, key, data) -> Attachment | None:
    digest = hashlib.sha256(data).hexdigest()
    return live_attachments(response).filter(purpose=purpose, followup_key=key, sha256=digest).first()


@transaction.atomic
def attachments_add(
    *, target: RoundTarget, purpose: str, followup_key: str = "", files: list[tuple[str, bytes]],
    acting_user: User, request=None, too_large: tuple[str, ...] = (),
) -> AddOutcome:
    """Attach `files` ((name, bytes) each) to the target's response; each refused file says why.

    Acceptable files are stored even when others are refused; a file whose content is already
    attached for the same purpose is reported, not stored again. `too_large`: names of files the
    upload handler dropped for their size. Raises UploadClosed after the deadline.
    """
    if not target.accepts_answers:
        raise UploadClosed()
    key = check_purpose(target, purpose, followup_key)
    limit = settings.UPLOAD_MAX_BYTES
    outcome = AddOutcome(rejected=[Problem("too_large", f"「{clean_name(n)}」は大きすぎます（上限 {megabytes(limit)}）。")
                                   for n in too_large])
    response = response_writable(target)  # held until commit: the quota check cannot race
    usage = stored_usage(response)
    for raw_name, data in files:
        name = clean_name(raw_name)
        kind, problem = check_file(name, data, limit=limit)
        if problem:
            outcome.rejected.append(problem)
            continue
        existing = _duplicate_of(response, purpose, key, data)
        if existing is None and usage.refuses(len(data)):
            outcome.rejected.append(usage.quota_problem(name, target.organization))
            continue
        attachment = None if existing else _store(response, purpose, key, name, data, kind, acting_user)
        if attachment is None:
            outcome.duplicates.append((name, existing or _duplicate_of(response, purpose, key, data)))
            continue
        usage.files, usage.bytes = usage.files + 1, usage.bytes + len(data)
        outcome.added.append(attachment)
        audit(ATTACH, actor=acting_user, request=request, organization=target.organization,
              target=_audit_target(target, attachment), attachment=attachment.pk, purpose=purpose,
              followup_key=key, name=name, size=len(data), sha256=attachment.sha256, content_type=kind)
    return outcome


@transaction.atomic
def attachment_remove(*, target: RoundTarget, attachment: Attachment, acting_user: User, request=None) -> None:
    """Mark `attachment` removed; delete its file after commit unless a submitted version counted it.

    The response is locked first, as a submission locks it, so a submission either counted the
    file before this runs or never sees it.
    """
    if not target.accepts_answers:
        raise UploadClosed()
    response_writable(target)
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    if attachment.removed_at is not None:
        return
    submitted = attachment.versions.filter(status=ResponseStatus.SUBMITTED).exists()
    attachment.removed_at, attachment.removed_by = timezone.now(), acting_user
    if not submitted:
        attachment.file_deleted_at = attachment.removed_at
        transaction.on_commit(lambda path=attachment.stored_path: storage.private_delete(path))
    attachment.save(update_fields=["removed_at", "removed_by", "file_deleted_at"])
    audit(DETACH, actor=acting_user, request=request, organization=target.organization,
          target=_audit_target(target, attachment), attachment=attachment.pk, name=attachment.original_name,
          size=attachment.size, sha256=attachment.sha256, file=FILE_KEPT_SUBMITTED if submitted else FILE_DELETED)


def attachments_purge_removed(*, acting_user: User | None = None) -> int:
    """Delete from storage the files removed before removal deleted them (the same rule as
    `attachment_remove`: files a submitted version counted stay); each with its audit row.
    Returns how many files were deleted. Used by `manage.py purge_removed_attachments`."""
    stale = (Attachment.objects.filter(removed_at__isnull=False, file_deleted_at__isnull=True)
             .exclude(versions__status=ResponseStatus.SUBMITTED).select_related("response__organization"))
    count = 0
    for attachment in stale.iterator():
        with transaction.atomic():
            attachment.file_deleted_at = timezone.now()
            attachment.save(update_fields=["file_deleted_at"])
            audit(DETACH, actor=acting_user, organization=attachment.response.organization,
                  target=f"round:{attachment.response.round_id}/org:{attachment.response.organization.code}"
                         f"/attachment:{attachment.pk}", attachment=attachment.pk, name=attachment.original_name,
                  size=attachment.size, sha256=attachment.sha256, file=FILE_DELETED, purge=True)
            transaction.on_commit(lambda path=attachment.stored_path: storage.private_delete(path))
        count += 1
    return count


def attachment_stored_path(attachment: Attachment) -> str:
    """Where the file is in private storage; Http404 for a file deleted from storage."""
    if not attachment.is_stored:
        raise Http404
    return attachment.stored_path


def attachment_download_audit(*, target: RoundTarget, attachment: Attachment, acting_user: User, request=None) -> None:
    """Record that the file was handed out (the view serves it, after storage found it)."""
    audit(DOWNLOAD, actor=acting_user, request=request, organization=target.organization,
          target=_audit_target(target, attachment), attachment=attachment.pk, name=attachment.original_name)


def _audit_target(target: RoundTarget, attachment: Attachment) -> str:
    return f"round:{target.round_id}/org:{target.organization.code}/attachment:{attachment.pk}"


def followup_prompt(target: RoundTarget, key: str) -> str:
    """How a follow-up is named to people, e.g. "Q10 概要"."""
    followup = target.round.survey.engine.followups.get(key)
    if followup is None:
        return key
    return f"{target.round.survey.engine.item(followup.item).label} {followup.label}"

