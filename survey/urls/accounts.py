"""Accounts: login and logout, the second factor, the invitation link, password reset, the user's own page."""
from django.urls import path

from survey.middleware import two_factor_exempt
from survey.views import accounts, session, two_factor

urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", two_factor_exempt(accounts.LogoutView.as_view()), name="logout"),
    path("profile/", accounts.profile, name="account_profile"),
    path("session/extend/", two_factor_exempt(session.session_extend), name="session_extend"),
    # two-factor sign-in
    path("two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    path("two-factor/setup/", two_factor.setup, name="two_factor_setup"),
    path("two-factor/setup/qr.svg", two_factor.setup_qr, name="two_factor_setup_qr"),
    path("two-factor/recovery-codes/", two_factor.recovery_codes, name="two_factor_recovery_codes"),
    path("two-factor/recovery-codes/new/", two_factor.confirm, {"operation": "regenerate"},
         name="two_factor_regenerate"),
    path("two-factor/remove/", two_factor.confirm, {"operation": "remove"}, name="two_factor_remove"),
    path("activate/<uidb64>/<token>/", accounts.ActivateView.as_view(), name="account_activate"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
