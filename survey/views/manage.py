"""Administrators' pages: users, invitations, the officers' import and the audit log (read-only).

Only role admin reaches these views; everybody else gets 403 (anonymous users go to login).
"""
import base64
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from survey.forms.accounts import (
    OFFICER_CSV_MAX_BYTES,
    OFFICER_CSV_TOO_LARGE,
    AuditFilterForm,
    ImportConfirmForm,
    InviteForm,
    LockoutClearForm,
    OfficerImportForm,
    UserFilterForm,
    mail_limit_check,
)
from survey.lockouts import lockouts_active
from survey.models import AuditLog, User
from survey.services import accounts, two_factor
from survey.two_factor import two_factor_status
from survey.views import uploads
from survey.views.decorators import admin_required

IMPORT_SESSION_KEY = "manage_officer_import"
USERS_PER_PAGE = 50
AUDIT_PER_PAGE = 100


def _page(request, qs, per_page):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


@require_GET
@admin_required
def users(request):
    form = UserFilterForm(request.GET or None)
    qs = form.apply(User.objects.select_related("organization").order_by("role", "organization__code", "email"))
    return render(request, "manage/users.html", {"form": form, "page": _page(request, qs, USERS_PER_PAGE),
                                                 "query": _query_without_page(request)})


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@admin_required
def user_detail(request, pk):
    account = get_object_or_404(User.objects.select_related("organization"), pk=pk)
    history = AuditLog.objects.filter(Q(actor=account) | Q(target=account.email)).select_related("actor")[:20]
    return render(request, "manage/user_detail.html", {"account": account, "history": history,
                                                       "two_factor": two_factor_status(account)})


@require_http_methods(["GET", "POST"])
@admin_required
def user_invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mail_limit_check("invitation", request=request, address=form.cleaned_data["email"])
            account = accounts.user_invite(acting_user=request.user, request=request, **form.cleaned_data_for_service())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"{account.email} に招待メールを送信しました。")
            return redirect("manage_user_detail", pk=account.pk)
    return render(request, "manage/user_invite.html", {"form": form})


# The confirmation pages: GET asks, POST acts (one service each), then back to the user.
CONFIRMATIONS = {
    "deactivate": (accounts.user_deactivate, "アカウントの無効化",
                   "このアカウントを無効化します。ログイン中のセッションはただちに終了し、以後ログインできなくなります。",
                   "無効化する", "アカウントを無効化しました。", "btn-danger"),
    "reactivate": (accounts.user_reactivate, "アカウントの再有効化",
                   "このアカウントを再び有効にします。利用者は以前のパスワードでログインできるようになります。",
                   "有効にする", "アカウントを有効にしました。", "btn-primary"),
    "end_sessions": (accounts.user_sessions_end, "すべてのセッションの終了",
                     "この利用者のログイン中のセッションをすべて終了します。利用者は再度ログインが必要になります。",
                     "セッションを終了する", "すべてのセッションを終了しました。", "btn-danger"),
    "resend_invitation": (accounts.invitation_resend, "招待メールの再送",
                          "新しい招待メールを送信します。以前に送った招待リンクは使えなくなります。",
                          "再送する", "招待メールを再送しました。", "btn-primary"),
    "reset_two_factor": (two_factor.two_factor_reset, "二要素認証のリセット",
                         "この利用者の認証アプリの登録とリカバリーコードを削除し、ログイン中のセッションをすべて終了します。"
                         "二要素認証が必須の役割では、次回のログイン時に認証アプリの登録からやり直しになります。"
                         "スマートフォンとリカバリーコードを失った場合など、本人確認を済ませてから実行してください。",
                         "リセットする", "二要素認証をリセットしました。", "btn-danger"),
}


@require_http_methods(["GET", "POST"])
@admin_required
def user_confirm(request, pk, operation):
    """Confirmation page and action for deactivate, reactivate, end_sessions, resend_invitation,
    reset_two_factor."""
    service, title, text, button, done, style = CONFIRMATIONS[operation]
    account = get_object_or_404(User.objects.select_related("organization"), pk=pk)
    if request.method == "POST":
        try:
            if operation == "resend_invitation":
                mail_limit_check("invitation", request=request, address=account.email)
            service(user=account, acting_user=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("manage_user_detail", pk=account.pk)
    return render(request, "manage/confirm.html", {
        "account": account, "title": title, "text": text, "button": button, "button_style": style})


@csrf_exempt
def users_import(request):
    """Upload a CSV and see what would happen; nothing is created before the confirmation."""
    handler = uploads.bounded(request, OFFICER_CSV_MAX_BYTES)  # before CSRF reads the body
    return _users_import(request, handler)


@csrf_protect
@require_http_methods(["GET", "POST"])
@admin_required
def _users_import(request, handler):
    if request.method == "POST" and uploads.too_large(request, handler, OFFICER_CSV_MAX_BYTES):
        return render(request, "manage/users_import.html", {"form": OfficerImportForm(),
                                                            "upload_error": OFFICER_CSV_TOO_LARGE}, status=413)
    form = OfficerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"]
        result = accounts.officers_import_csv(data=data, acting_user=request.user, request=request, dry_run=True)
        confirm = None
        if result.ok and result.to_create:
            token = uuid.uuid4().hex
            request.session[IMPORT_SESSION_KEY] = {"token": token, "data": base64.b64encode(data).decode()}
            confirm = ImportConfirmForm(initial={"token": token})
        return render(request, "manage/users_import_preview.html", {"result": result, "confirm": confirm})
    return render(request, "manage/users_import.html", {"form": form})


@require_POST
@admin_required
def users_import_confirm(request):
    """Create the previewed officers (validated again: the database may have changed)."""
    form = ImportConfirmForm(request.POST)
    stash = request.session.get(IMPORT_SESSION_KEY) or {}
    if not form.is_valid() or form.cleaned_data["token"] != stash.get("token"):
        messages.error(request, "確認の有効期限が切れました。もう一度ファイルをアップロードしてください。")
        return redirect("manage_users_import")
    data = base64.b64decode(stash["data"])
    result = accounts.officers_import_csv(data=data, acting_user=request.user, request=request)
    del request.session[IMPORT_SESSION_KEY]
    return render(request, "manage/users_import_done.html", {"result": result})


@require_GET
@admin_required
def audit_log(request):
    """The audit log, filtered and paginated. There is no way to change or delete a row."""
    form = AuditFilterForm(request.GET or None)
    qs = form.apply(AuditLog.objects.select_related("actor", "organization"))
    return render(request, "manage/audit.html", {"form": form, "page": _page(request, qs, AUDIT_PER_PAGE),
                                                 "query": _query_without_page(request)})


@require_http_methods(["GET", "POST"])
@admin_required
def lockouts(request):
    """The login lock-outs in force; POST lifts one (audited)."""
    if request.method == "POST":
        form = LockoutClearForm(request.POST)
        if form.is_valid():
            accounts.lockout_clear(acting_user=request.user, request=request, **form.cleaned_data)
            messages.success(request, "ログインの停止を解除しました。")
        else:
            messages.error(request, "解除する対象が正しくありません。")
        return redirect("manage_lockouts")
    return render(request, "manage/lockouts.html", {
        "locks": lockouts_active(), "account_limit": settings.LOGIN_FAILURE_LIMIT,
        "ip_limit": settings.LOGIN_FAILURE_LIMIT_PER_IP, "minutes": settings.LOGIN_LOCKOUT_MINUTES})
