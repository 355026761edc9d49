"""Forms of login, invitation, the officers' import and the administrators' filters."""
import datetime as dt
import unicodedata

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Q, QuerySet
from django.utils import timezone

from survey.auth import normalise_email
from survey.client_ip import client_ip_for_limits
from survey.lockouts import locked_until
from survey.models import AuditLog, Organization, Role, User
from survey.ratelimit import limit_hit

EMAIL_MAX_LENGTH = 254
OFFICER_CSV_MAX_BYTES = 1024 * 1024  # the file is kept in the session between preview and confirmation
OFFICER_CSV_TOO_LARGE = "ファイルが大きすぎます（1MBまで）。"


def retry_time(when: dt.datetime) -> str:
    """A moment as the messages show it, in Japan time: 11月30日 17:05."""
    local = timezone.localtime(when)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def locked_message(until: dt.datetime) -> str:
    return (f"ログインの失敗が続いたため、この接続元からのログインを一時的に停止しています。"
            f"{retry_time(until)} 以降に再度お試しいただくか、「パスワードを忘れた場合」からパスワードを再設定してください。")


MAIL_LIMITED = {
    "address": "このメールアドレスへのメール送信が続いたため、受け付けを一時的に停止しています。"
               "すでにお送りしたメールが届いていれば、そのリンクをお使いください。{time} 以降に再度お試しいただけます。",
    "ip": "この接続元からのメール送信の依頼が続いたため、受け付けを一時的に停止しています。{time} 以降に再度お試しください。",
}


def mail_limit_check(kind: str, *, request, address: str) -> None:
    """Count one `kind` mail (password_reset, invitation) to `address` from this client.

    Raises ValidationError (code rate_limited) with the time to try again when either limit is
    reached; both are counted, so a refused request still uses up the window.
    """
    ends = {"address": limit_hit(f"{kind}_address", normalise_email(address)),
            "ip": limit_hit(f"{kind}_ip", client_ip_for_limits(request))}
    limited = {scope: end for scope, end in ends.items() if end is not None}
    if limited:
        scope = max(limited, key=limited.get)
        raise ValidationError(MAIL_LIMITED[scope].format(time=retry_time(limited[scope])), code="rate_limited")


class LoginForm(AuthenticationForm):
    """E-mail and password; says until when the login is locked (survey/lockouts.py)."""

    error_messages = {
        "invalid_login": "メールアドレスまたはパスワードが正しくありません。",
        "inactive": "このアカウントは無効化されています。管理者にお問い合わせください。",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "メールアドレス"
        self.fields["username"].widget = forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
        # AuthenticationForm sets max_length after the field is built, so nothing checked it.
        self.fields["username"].validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))
        self.fields["password"].label = "パスワード"

    def get_invalid_login_error(self):
        if getattr(self.request, "axes_locked_out", False):
            email = normalise_email(self.cleaned_data.get("username"))
            until = locked_until(username=email, ip=client_ip_for_limits(self.request))
            return ValidationError(locked_message(until or timezone.now()), code="locked")
        return super().get_invalid_login_error()


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, limited per address and per client (needs the request)."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"]
        mail_limit_check("password_reset", request=self.request, address=email)
        return email


def organization_by_code(code: str) -> Organization:
    """The organisation of a six-digit code (full-width digits accepted)."""
    code = unicodedata.normalize("NFKC", code or "").strip()
    org = Organization.objects.filter(code=code).first()
    if org is None:
        raise ValidationError(f"団体コード「{code}」は団体マスタにありません。", code="unknown_code")
    return org


class InviteForm(forms.Form):
    """One account to invite; the service checks role and organisation together."""

    email = forms.EmailField(label="メールアドレス", max_length=254)
    name = forms.CharField(label="氏名", max_length=100)
    role = forms.ChoiceField(label="役割", choices=Role.choices, initial=Role.OFFICER)
    organization_code = forms.CharField(
        label="団体コード", max_length=6, required=False,
        help_text="団体担当者のみ。全国地方公共団体コード（6桁）。例: 141500（相模原市）",
    )

    def clean_organization_code(self):
        code = self.cleaned_data["organization_code"]
        return organization_by_code(code) if code else None

    def cleaned_data_for_service(self) -> dict:
        """Keyword arguments of services.accounts.user_invite."""
        data = self.cleaned_data
        return {"email": data["email"], "name": data["name"], "role": data["role"],
                "organization": data["organization_code"]}

    def add_service_error(self, exc: ValidationError) -> None:
        """Show the service's errors next to the fields they are about."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            self.add_error("organization_code" if name == "organization" else name, errors)


class LockoutClearForm(forms.Form):
    """One lock to lift: an account from an address, or (no account) the address itself."""

    ip = forms.GenericIPAddressField(required=False)
    username = forms.CharField(required=False, max_length=255)

    def clean(self):
        data = super().clean()
        return {"ip": data.get("ip") or None, "username": data.get("username") or None}


class OfficerImportForm(forms.Form):
    file = forms.FileField(
        label="CSVファイル",
        help_text="列: 団体コード, 氏名, メールアドレス（1行目は見出し）。UTF-8 または Shift_JIS。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > OFFICER_CSV_MAX_BYTES:
            raise ValidationError(OFFICER_CSV_TOO_LARGE, code="too_large")
        return upload.read()


class ImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


class UserFilterForm(forms.Form):
    """Filters of the users list."""

    q = forms.CharField(label="氏名・メールアドレス", required=False)
    role = forms.ChoiceField(label="役割", choices=[("", "すべて"), *Role.choices], required=False)
    organization = forms.CharField(label="団体（コード・名称）", required=False)
    status = forms.ChoiceField(label="状態", required=False, choices=[
        ("", "すべて"), ("active", "有効"), ("inactive", "無効"), ("invited", "招待中（パスワード未設定）")])

    def apply(self, qs: QuerySet[User]) -> QuerySet[User]:
        """`qs` narrowed by the valid filters."""
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(name__icontains=data["q"]) | Q(email__icontains=data["q"]))
        if data["role"]:
            qs = qs.filter(role=data["role"])
        if data["organization"]:
            qs = qs.filter(_organization_q("organization", data["organization"]))
        if data["status"] == "active":
            qs = qs.filter(is_active=True)
        elif data["status"] == "inactive":
            qs = qs.filter(is_active=False)
        elif data["status"] == "invited":
            qs = qs.filter(is_active=True, password__startswith="!")  # Django's unusable-password prefix
        return qs


def _organization_q(prefix: str, text: str) -> Q:
    text = unicodedata.normalize("NFKC", text).strip()
    return (Q(**{f"{prefix}__code": text}) | Q(**{f"{prefix}__name__icontains": text})
            | Q(**{f"{prefix}__prefecture_name__icontains": text}))


AUDIT_FIRST_DAY = dt.date(2000, 1, 1)  # a range the database's dates hold in any time zone
AUDIT_LAST_DAY = dt.date(2099, 12, 31)


def _audit_date_field(label: str) -> forms.DateField:
    attrs = {"type": "date", "min": AUDIT_FIRST_DAY.isoformat(), "max": AUDIT_LAST_DAY.isoformat()}
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs=attrs))


class AuditFilterForm(forms.Form):
    """Filters of the audit log viewer; every field is checked, and an invalid filter shows no rows."""

    action = forms.ChoiceField(label="操作", choices=[("", "すべて"), *AuditLog.Action.choices], required=False)
    actor = forms.CharField(label="操作者（氏名・メールアドレス）", required=False, max_length=300)
    organization = forms.CharField(label="団体（コード・名称）", required=False, max_length=100)
    date_from = _audit_date_field("期間（開始日）")
    date_to = _audit_date_field("期間（終了日）")

    def clean_date_from(self):
        return _audit_day(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return _audit_day(self.cleaned_data["date_to"])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("終了日は開始日以降の日付にしてください。", code="date_order")
        return data

    def apply(self, qs: QuerySet[AuditLog]) -> QuerySet[AuditLog]:
        """`qs` narrowed by the filters (dates are whole days in Japan time); none when they are invalid."""
        if not self.is_bound:
            return qs
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["actor"]:
            qs = qs.filter(actor_label__icontains=data["actor"].strip())
        if data["organization"]:
            qs = qs.filter(_organization_q("organization", data["organization"]))
        if data["date_from"]:
            qs = qs.filter(at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            qs = qs.filter(at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
        return qs


def _audit_day(day: dt.date | None) -> dt.date | None:
    if day is not None and not AUDIT_FIRST_DAY <= day <= AUDIT_LAST_DAY:
        raise ValidationError(
            f"日付は{_japanese_date(AUDIT_FIRST_DAY)}から{_japanese_date(AUDIT_LAST_DAY)}までの範囲で指定してください。",
            code="date_out_of_range")
    return day


def _japanese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
