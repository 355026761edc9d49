"""Accounts: sessions, invitations and passwords, deactivation and the officers' CSV import.

- ``sessions``: logging in and out, refused logins, lock-outs, ending every session of a user;
- ``invitations``: inviting a user, mailing and resending the set-password link, passwords;
- ``users``: deactivating and reactivating a user;
- ``officers_import``: the officers' CSV import.

Every change is atomic, takes the acting user and writes its audit row in the same transaction.
"""

from survey.services.accounts.invitations import (
    account_activate,
    activation_path,
    invitation_resend,
    password_set,
    user_invite,
)
from survey.services.accounts.officers_import import officers_import_csv
from survey.services.accounts.sessions import (
    lockout_clear,
    login_failure_record,
    session_end,
    session_start,
    user_sessions_end,
)
from survey.services.accounts.users import user_deactivate, user_reactivate

__all__ = [
    "account_activate",
    "activation_path",
    "invitation_resend",
    "lockout_clear",
    "login_failure_record",
    "officers_import_csv",
    "password_set",
    "session_end",
    "session_start",
    "user_deactivate",
    "user_invite",
    "user_reactivate",
    "user_sessions_end",
]
