"""Writing the audit log. Call inside the transaction of the change it records."""
from survey.client_ip import client_ip
from survey.dbcopy import row_insert
from survey.models import AuditLog, Organization, User

Action = AuditLog.Action


def audit(action: str, **kwargs) -> AuditLog:
    """Append one audit row: who, when, what and from where (the arguments of `audit_row`)."""
    row = audit_row(action, **kwargs)
    row_insert(row)  # the INSERT written once per process (what save(force_insert=True) sends)
    return row


def audit_row(
    action: str,
    *,
    actor: User | None,
    request=None,
    organization: Organization | None = None,
    target: str = "",
    **details,
) -> AuditLog:
    """The unsaved row `audit` appends (for services that write many rows in one query)."""
    label = ""
    if actor is not None and getattr(actor, "pk", None):
        label = f"{actor.name} <{actor.email}>"
    elif details.get("email"):
        label = details["email"]
    return AuditLog(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=label[:300],
        action=action,
        organization=organization,
        target=target[:200],
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        details=details,
    )
