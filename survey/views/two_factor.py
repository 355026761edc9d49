"""Two-factor sign-in pages: the code step, enrolment (QR code drawn here), recovery codes,
removal, and the policy per role. The rules are in survey.two_factor (reads) and
survey.services.two_factor (writes)."""
import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey import access, two_factor
from survey.forms.two_factor import CodeForm, EnrolForm, PolicyForm
from survey.middleware import two_factor_exempt
from survey.services import two_factor as services
from survey.views.decorators import role_required

# Recovery codes are shown once, on the page after the action that made them.
RECOVERY_SESSION_KEY = "two_factor_new_recovery_codes"

FAILURE_MESSAGES = {
    two_factor.WRONG_CODE: "確認コードが正しくありません。認証アプリの最新のコードを入力してください。",
    "device_throttled": "確認コードの誤りが続いたため、少し時間をおいてから入力してください。",
}


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return candidate
    return "/"


def _failure_message(outcome) -> str:
    if outcome.reason == "limited":
        until = timezone.localtime(outcome.retry_at)
        return (f"確認コードの誤りが続いたため、{until:%H時%M分}まで確認できません。"
                "時間をおいて再度お試しいただくか、管理者にお問い合わせください。")
    return FAILURE_MESSAGES.get(outcome.reason, FAILURE_MESSAGES[two_factor.WRONG_CODE])


@two_factor_exempt
@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    """The code step of sign-in (a TOTP code or a recovery code)."""
    user = request.user
    if user.is_verified() or two_factor.pending_step(user) != two_factor.VERIFY:
        return redirect(_next_url(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        outcome = services.second_factor_verify(user=user, code=form.cleaned_data["code"], request=request)
        if outcome.ok:
            if outcome.recovery_used:
                messages.warning(request, f"リカバリーコードでログインしました。残りは {outcome.recovery_left} 個です。"
                                          "アカウント画面から新しいリカバリーコードを発行できます。")
            return redirect(_next_url(request))
        form.add_error("code", _failure_message(outcome))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@two_factor_exempt
@require_http_methods(["GET", "POST"])
@login_required
def setup(request):
    """Enrolment: register an authenticator app by QR code or by typing the key, confirm with a code."""
    user = request.user
    if two_factor.confirmed_totp(user) is not None:
        if not user.is_verified():
            return redirect("two_factor_verify")
        messages.info(request, "二要素認証はすでに登録されています。")
        return redirect("account_profile")
    device = services.totp_enrolment_begin(user=user)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrolment_confirm(user=user, code=form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if codes is not None:
                request.session[RECOVERY_SESSION_KEY] = {"codes": codes, "next": _next_url(request)}
                return redirect("two_factor_recovery_codes")
            form.add_error("code", "確認コードが正しくありません。スマートフォンの時刻が正しいか確認し、"
                                   "最新のコードを入力してください。")
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "secret": two_factor.secret_base32(device), "next": _next_url(request),
        "required": two_factor.required_for_role(user.role)})


@two_factor_exempt
@require_GET
@login_required
def setup_qr(request):
    """The enrolment QR code as SVG, drawn here (segno): the key never leaves the portal."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        raise Http404
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(out, kind="svg", scale=5, border=4, dark="#000", light="#fff",
                                                   xmldecl=False, title="二要素認証の登録用QRコード")
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@require_GET
@login_required
def recovery_codes(request):
    """The new recovery codes, shown once (printable); a reload shows that they were shown."""
    stash = request.session.pop(RECOVERY_SESSION_KEY, None) or {}
    return render(request, "accounts/two_factor_recovery_codes.html", {
        "codes": stash.get("codes", []), "next": stash.get("next") or "/"})


CONFIRMATIONS = {
    "regenerate": ("リカバリーコードの再発行",
                   "新しいリカバリーコードを10個発行します。これまでのリカバリーコードは使えなくなります。",
                   "再発行する", "btn-primary"),
    "remove": ("二要素認証の解除",
               "認証アプリの登録とリカバリーコードを削除します。以後はパスワードだけでログインします。",
               "解除する", "btn-danger"),
}


@require_http_methods(["GET", "POST"])
@login_required
def confirm(request, operation):
    """Confirmation page and action for the user's own regenerate / remove."""
    title, text, button, style = CONFIRMATIONS[operation]
    if request.method == "POST":
        try:
            if operation == "regenerate":
                codes = services.recovery_codes_regenerate(user=request.user, request=request)
                request.session[RECOVERY_SESSION_KEY] = {"codes": codes, "next": "/"}
                return redirect("two_factor_recovery_codes")
            services.two_factor_remove(user=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "二要素認証を解除しました。")
        return redirect("account_profile")
    return render(request, "accounts/two_factor_confirm.html",
                  {"title": title, "text": text, "button": button, "button_style": style})


ministry_or_admin_required = role_required(access.can_set_two_factor_policy, "この画面は省庁職員と管理者のみが利用できます。")


@require_http_methods(["GET", "POST"])
@ministry_or_admin_required
def policy(request):
    """Which roles must sign in with a second factor (ministry staff and administrators always)."""
    form = PolicyForm(request.POST if request.method == "POST" else None, rows=two_factor.policy_rows())
    if request.method == "POST" and form.is_valid():
        try:
            for role, required in form.changes():
                services.two_factor_policy_set(role=role, required=required, acting_user=request.user,
                                               request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "二要素認証の方針を保存しました。")
            return redirect("manage_two_factor_policy")
    return render(request, "manage/two_factor_policy.html", {"form": form, "rows": two_factor.policy_rows()})
