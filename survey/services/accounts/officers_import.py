"""The officers' CSV import: 団体コード, 氏名, メールアドレス; the whole file is validated, then
every officer is invited or none."""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower

from survey.models import Organization, Role, User
from survey.models.accounts import normalise_email
from survey.orgmaster import is_valid_code
from survey.services.accounts.invitations import user_invite

HEADERS = {
    "団体コード": "code", "code": "code",
    "氏名": "name", "name": "name",
    "メールアドレス": "email", "email": "email", "e-mail": "email",
}


@dataclass
class ImportIssue:
    """An error of the import file; `line` is the row number as a spreadsheet shows it."""

    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.line}行目: {self.message}" if self.line else self.message


@dataclass
class ImportRow:
    line: int
    code: str
    name: str
    email: str
    organization: Organization | None = None
    status: str = "create"  # create | skip | error
    note: str = ""


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    created: list[User] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_create(self) -> list[ImportRow]:
        return [r for r in self.rows if r.status == "create"]

    @property
    def skipped(self) -> list[ImportRow]:
        return [r for r in self.rows if r.status == "skip"]


def officers_import_csv(*, data: bytes, acting_user: User | None, request=None,
                        dry_run: bool = False) -> ImportResult:
    """Validate the whole file, then (no errors, not dry_run) create every officer or none.

    Columns 団体コード, 氏名, メールアドレス (or code, name, email); UTF-8 with or without BOM,
    or cp932. Addresses already registered are skipped, not errors. Mails go after commit.
    """
    result = ImportResult(dry_run=dry_run)
    try:
        result.rows = _parse_officers(data, result.errors)
    except ValidationError as exc:
        result.errors.append(ImportIssue(None, exc.code or "invalid_file", exc.messages[0]))
        return result
    if result.errors or dry_run or not result.to_create:
        return result
    try:
        with transaction.atomic():
            for row in result.to_create:
                result.created.append(user_invite(
                    email=row.email, name=row.name, role=Role.OFFICER, organization=row.organization,
                    acting_user=acting_user, request=request, source="csv"))
    except ValidationError as exc:  # registered by someone else since validation: nothing is kept
        result.created = []
        result.errors.append(ImportIssue(row.line, "create_failed", f"{row.email}: {exc.messages[0]}"))
    return result


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("文字コードを判別できません。UTF-8 または Shift_JIS（CP932）で保存してください。",
                          code="unknown_encoding")


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = HEADERS.get(unicodedata.normalize("NFKC", cell).strip().lower())
        if key and key not in found:
            found[key] = index
    missing = [label for label, key in (("団体コード", "code"), ("氏名", "name"), ("メールアドレス", "email"))
               if key not in found]
    if missing:
        raise ValidationError(f"1行目（見出し）に列「{'」「'.join(missing)}」がありません。", code="missing_columns")
    return found


def _parse_officers(data: bytes, errors: list[ImportIssue]) -> list[ImportRow]:
    records = list(csv.reader(io.StringIO(_decode(data), newline="")))
    if not records:
        raise ValidationError("ファイルが空です。", code="empty")
    columns = _header_map(records[0])
    rows = []
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        code, name, email = (_cell(record, columns[key]) for key in ("code", "name", "email"))
        rows.append(ImportRow(line, _normal_code(code), name, normalise_email(unicodedata.normalize("NFKC", email))))
    if not rows:
        raise ValidationError("データ行がありません。", code="no_rows")
    _check_rows(rows, errors)
    return rows


def _cell(record: list[str], index: int) -> str:
    return record[index].strip() if index < len(record) else ""


def _normal_code(text: str) -> str:
    digits = unicodedata.normalize("NFKC", text).strip()
    # Excel turns 011002 into the number 11002: restore the zero when that makes a valid code.
    if len(digits) == 5 and is_valid_code(digits.zfill(6)):
        return digits.zfill(6)
    return digits


def _check_rows(rows: list[ImportRow], errors: list[ImportIssue]) -> None:
    orgs = Organization.objects.in_bulk([r.code for r in rows], field_name="code")
    registered = set(User.objects.annotate(e=Lower("email")).filter(e__in=[r.email for r in rows])
                     .values_list("e", flat=True))
    first_line: dict[str, int] = {}
    for row in rows:
        problems = _row_problems(row, orgs, first_line)
        for code, message in problems:
            errors.append(ImportIssue(row.line, code, message))
        if problems:
            row.status, row.note = "error", " ".join(m for _, m in problems)
        elif row.email in registered:
            row.status, row.note = "skip", "登録済みのため作成しません"
        first_line.setdefault(row.email, row.line)


def _row_problems(row: ImportRow, orgs: dict, first_line: dict[str, int]) -> list[tuple[str, str]]:
    problems = []
    row.organization = orgs.get(row.code)
    if not row.code:
        problems.append(("code_required", "団体コードが空です。"))
    elif row.organization is None:
        problems.append(("unknown_code", f"団体コード「{row.code}」は団体マスタにありません。"))
    elif not row.organization.is_active:
        problems.append(("retired_code",
                         f"団体コード「{row.code}」（{row.organization.display_name}）は廃止された団体です。"))
    if not row.name:
        problems.append(("name_required", "氏名が空です。"))
    elif len(row.name) > 100:
        problems.append(("name_too_long", "氏名は100文字以内にしてください。"))
    if not row.email:
        problems.append(("email_required", "メールアドレスが空です。"))
        return problems
    try:
        validate_email(row.email)
    except ValidationError:
        problems.append(("invalid_email", f"メールアドレス「{row.email}」の形式が正しくありません。"))
    else:
        if row.email in first_line:
            problems.append(("duplicate_email",
                             f"メールアドレス「{row.email}」は{first_line[row.email]}行目と重複しています。"))
    return problems
