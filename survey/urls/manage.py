"""Administrators' pages (mounted under /manage/), grouped by what they act on."""
from django.urls import path
from django.views.generic import RedirectView

from survey.views import manage, two_factor

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="manage_users"), name="manage_home"),
    # users
    path("users/", manage.users, name="manage_users"),
    path("users/invite/", manage.user_invite, name="manage_user_invite"),
    path("users/import/", manage.users_import, name="manage_users_import"),
    path("users/import/confirm/", manage.users_import_confirm, name="manage_users_import_confirm"),
    path("users/<int:pk>/", manage.user_detail, name="manage_user_detail"),
    path("users/<int:pk>/deactivate/", manage.user_confirm, {"operation": "deactivate"},
         name="manage_user_deactivate"),
    path("users/<int:pk>/reactivate/", manage.user_confirm, {"operation": "reactivate"},
         name="manage_user_reactivate"),
    path("users/<int:pk>/end-sessions/", manage.user_confirm, {"operation": "end_sessions"},
         name="manage_user_end_sessions"),
    path("users/<int:pk>/resend-invitation/", manage.user_confirm, {"operation": "resend_invitation"},
         name="manage_user_resend_invitation"),
    path("users/<int:pk>/reset-two-factor/", manage.user_confirm, {"operation": "reset_two_factor"},
         name="manage_user_reset_two_factor"),
    # two-factor policy (ministry staff and administrators)
    path("two-factor/", two_factor.policy, name="manage_two_factor_policy"),
    # login lock-outs
    path("lockouts/", manage.lockouts, name="manage_lockouts"),
    # audit log (read-only)
    path("audit/", manage.audit_log, name="manage_audit"),
]
