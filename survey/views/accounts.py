"""Login, logout, activation (first password), password reset and the user's own account page."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from survey.forms.accounts import LoginForm, PasswordResetRequestForm
from survey.middleware import two_factor_step_url
from survey.services import accounts
from survey.two_factor import pending_step, two_factor_status


class LoginView(auth_views.LoginView):
    """E-mail + password; on success the session starts through the service (audited).

    A user who owes a second factor goes on to the code step, or to enrolment where the role
    requires one (survey.two_factor); only then is the session verified.
    """

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        accounts.session_start(request=self.request, user=user)
        step = pending_step(user)
        if step is not None:
            return redirect(two_factor_step_url(step, self.get_success_url()))
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule); the logout is audited before the session ends."""

    def post(self, request, *args, **kwargs):
        accounts.session_end(request=request)
        return redirect(self.get_success_url())


class ActivateView(auth_views.PasswordResetConfirmView):
    """The invitation link: set the first password, then the user is logged in."""

    template_name = "accounts/activate.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        accounts.account_activate(user=form.user, password=form.cleaned_data["new_password1"],
                                  request=self.request)
        messages.success(self.request, "パスワードを設定しました。ようこそ、調査回答ポータルへ。")
        return redirect(self.success_url)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        # The link is built from PORTAL_BASE_URL (as in the invitation), not from the Host header.
        self.extra_email_context = {"portal_url": settings.PORTAL_BASE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the mailed link; clears the login failures (through the service)."""

    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form):
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        accounts.password_set(user=form.user, password=form.cleaned_data["new_password1"], request=self.request)
        return redirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@login_required
def profile(request):
    """The signed-in user's own account: name, e-mail, role, organisation and second factor."""
    return render(request, "accounts/profile.html", {"account": request.user,
                                                     "two_factor": two_factor_status(request.user)})
