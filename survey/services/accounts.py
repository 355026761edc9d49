"""Accounts: sessions, invitations, passwords, deactivation and the officers' CSV import.

Every change is atomic, takes the acting user and writes its audit row in the same transaction.
Identifiers come only from the database (pk) or uuid4; e-mail uniqueness is enforced by the
database (case-insensitive constraint), so concurrent requests cannot create two accounts
for one address.
"""
import csv
import io
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from functools import partial

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from survey.access import role_requires_organization
from survey.audit import Action, audit
from survey.mailtext import render_mail_text
from survey.middleware import LOGIN_TIME_KEY
from survey.models import Organization, Role, User
from survey.models.accounts import normalise_email
from survey.orgmaster import is_valid_code

# --- sessions ----------------------------------------------------------------------------------


def session_start(*, request, user: User) -> None:
    """Log `user` in (Django rotates the session key), stamp the login time, audit it."""
    login(request, user, backend="survey.auth.EmailBackend")
    request.session[LOGIN_TIME_KEY] = time.time()
    audit(Action.LOGIN, actor=user, request=request, organization=user.organization, target=user.email)


def session_end(*, request) -> None:
    """Audit the logout of the current user, then end the session."""
    user = request.user
    if user.is_authenticated:
        audit(Action.LOGOUT, actor=user, request=request, organization=user.organization, target=user.email)
    logout(request)


def login_failure_record(*, email: str, request, reason: str) -> None:
    """Audit a refused login: wrong_password, unknown_email, inactive or locked (axes counts them).

    An unknown address has no actor; the address stays in the details.
    """
    email = normalise_email(email)
    user = User.objects.select_related("organization").filter(email=email).first()
    if user is None:
        reason = "unknown_email" if reason == "wrong_password" else reason
    elif reason == "wrong_password" and not user.is_active:
        reason = "inactive"
    audit(Action.LOGIN_FAILED, actor=user, request=request,
          organization=user.organization if user else None, target=email, email=email, reason=reason)


@transaction.atomic
def lockout_clear(*, ip: str | None, username: str | None, acting_user: User, request=None) -> int:
    """Lift a lock-out: the failures of `username` from `ip`, or of every account from `ip`."""
    attempts = AccessAttempt.objects.filter(ip_address=ip)
    if username is not None:
        attempts = attempts.filter(username=username)
    cleared, _ = attempts.delete()
    user = User.objects.select_related("organization").filter(email=username).first() if username else None
    audit(Action.ACCOUNT_CHANGE, actor=acting_user, request=request,
          organization=user.organization if user else None, target=username or ip or "",
          change="lockout_cleared", locked_ip=ip, attempts=cleared)
    return cleared


@transaction.atomic
def user_sessions_end(*, user: User, acting_user: User | None, request=None) -> None:
    """End every session of `user` at once: a new salt changes the session auth hash."""
    user.session_key_salt = uuid.uuid4()
    user.save(update_fields=["session_key_salt"])
    audit(Action.SESSIONS_ENDED, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk)


# --- invitations and passwords -----------------------------------------------------------------


def activation_path(user: User) -> str:
    """The set-password link's path for `user` (valid until a password is set or it expires)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("account_activate", kwargs={"uidb64": uidb64, "token": token})


def invitation_send(user_id: int) -> None:
    """Send the invitation mail with a fresh set-password link (called after commit)."""
    user = User.objects.select_related("organization").get(pk=user_id)
    base = settings.PORTAL_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "organization": user.organization,
        "portal_url": base + "/",
        "activation_url": base + activation_path(user),
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = render_mail_text("accounts/email/invitation_subject.txt", context).strip()
    body = render_mail_text("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


def _schedule_invitation(user: User) -> None:
    # robust: one failing mail must not keep the others of a CSV import from being sent.
    transaction.on_commit(partial(invitation_send, user.pk), robust=True)


def _invite_errors(email: str, name: str, role: str, organization: Organization | None) -> dict:
    errors: dict[str, list[ValidationError]] = {}

    def add(field_name, message, code):
        errors.setdefault(field_name, []).append(ValidationError(message, code=code))

    try:
        validate_email(email)
    except ValidationError:
        add("email", "メールアドレスの形式が正しくありません。", "invalid_email")
    if not name.strip():
        add("name", "氏名を入力してください。", "name_required")
    if role not in Role.values:
        add("role", "役割が正しくありません。", "invalid_role")
    if role_requires_organization(role) and organization is None:
        add("organization", "団体担当者には所属団体が必要です。", "organization_required")
    if not role_requires_organization(role) and organization is not None:
        add("organization", "省庁職員・管理者には所属団体を設定できません。", "organization_not_allowed")
    if organization is not None and not organization.is_active:
        add("organization", f"{organization.display_name}は廃止された団体です。", "organization_retired")
    return errors


def _email_taken() -> ValidationError:
    return ValidationError(
        {"email": ValidationError("このメールアドレスはすでに登録されています。", code="email_taken")}
    )


@transaction.atomic
def user_invite(*, email: str, name: str, role: str, organization: Organization | None,
                acting_user: User | None, request=None, source: str = "web") -> User:
    """Create an account without a usable password and mail its set-password link after commit.

    Raises ValidationError (dict by field, each error with a code); `email_taken` when the
    address exists already, also when another request registered it at the same moment.
    """
    email = normalise_email(unicodedata.normalize("NFKC", email or ""))
    errors = _invite_errors(email, name or "", role, organization)
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken()
    user = User(email=email, name=name.strip(), role=role, organization=organization)
    user.set_unusable_password()
    try:
        with transaction.atomic():  # a savepoint: the unique constraint decides races
            user.save()
    except IntegrityError:
        raise _email_taken() from None
    audit(Action.ACCOUNT_CREATE, actor=acting_user, request=request, organization=organization,
          target=email, user_id=user.pk, role=role, source=source)
    _schedule_invitation(user)
    return user


@transaction.atomic
def invitation_resend(*, user: User, acting_user: User, request=None) -> None:
    """Send a new invitation; links sent before stop working (the unusable password changes)."""
    if user.has_usable_password():
        raise ValidationError("この利用者はすでにパスワードを設定済みです。", code="already_active")
    if not user.is_active:
        raise ValidationError("無効化されたアカウントには招待を送れません。", code="inactive")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit(Action.ACCOUNT_CHANGE, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk, change="invitation_resent")
    _schedule_invitation(user)


@transaction.atomic
def password_set(*, user: User, password: str, request=None) -> None:
    """Set the password (first one = activation, or a reset); lifts the account's lock-outs."""
    kind = "reset" if user.has_usable_password() else "activation"
    user.set_password(password)
    user.save(update_fields=["password"])
    AccessAttempt.objects.filter(username=normalise_email(user.email)).delete()
    audit(Action.PASSWORD_SET, actor=user, request=request, organization=user.organization,
          target=user.email, kind=kind)


@transaction.atomic
def account_activate(*, user: User, password: str, request) -> None:
    """First password from the invitation link, then log the user in."""
    password_set(user=user, password=password, request=request)
    session_start(request=request, user=user)


# --- deactivation ------------------------------------------------------------------------------


@transaction.atomic
def user_deactivate(*, user: User, acting_user: User, request=None) -> None:
    """Deactivate `user`; their sessions end at once (the backend refuses inactive users)."""
    if user.pk == acting_user.pk:
        raise ValidationError("自分自身のアカウントは無効化できません。", code="self_deactivate")
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit(Action.ACCOUNT_DEACTIVATE, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk)


@transaction.atomic
def user_reactivate(*, user: User, acting_user: User, request=None) -> None:
    """Allow `user` to log in again."""
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(Action.ACCOUNT_CHANGE, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk, change="reactivated")


# --- officers' CSV import ----------------------------------------------------------------------

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
