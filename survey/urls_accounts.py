"""Accounts: login and logout, the invitation link, password reset, the user's own page."""
from django.urls import path

from survey.views import accounts, session

urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("profile/", accounts.profile, name="account_profile"),
    path("session/extend/", session.session_extend, name="session_extend"),
    path("activate/<uidb64>/<token>/", accounts.ActivateView.as_view(), name="account_activate"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
