"""Models of the portal. Writes go through survey.services, reads through survey.selectors."""
from .accounts import Role, User
from .attachments import Attachment, AttachmentPurpose
from .audit import AuditLog
from .jobs import Job
from .organizations import Organization, OrgKind
from .reminders import DEFAULT_OFFSETS, ReminderSchedule, ScheduledReminder
from .responses import (
    DONE_STATES,
    AnswerFact,
    Response,
    ResponseState,
    ResponseStatus,
    ResponseVersion,
    ReviewComment,
    ReviewState,
    ReviewThread,
    VersionSource,
)
from .rounds import Round, RoundNotice, RoundStatus, RoundTarget, SurveyVersion
from .two_factor import PRIVILEGED_ROLES, TwoFactorPolicy

__all__ = [
    "AnswerFact",
    "DONE_STATES",
    "Attachment",
    "AttachmentPurpose",
    "AuditLog",
    "DEFAULT_OFFSETS",
    "Job",
    "Organization",
    "OrgKind",
    "PRIVILEGED_ROLES",
    "ReminderSchedule",
    "Response",
    "ResponseState",
    "ResponseStatus",
    "ResponseVersion",
    "ReviewComment",
    "ReviewState",
    "ReviewThread",
    "Role",
    "Round",
    "RoundNotice",
    "RoundStatus",
    "RoundTarget",
    "ScheduledReminder",
    "SurveyVersion",
    "TwoFactorPolicy",
    "User",
    "VersionSource",
]
