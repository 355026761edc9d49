"""Writing the audit log. Call inside the transaction of the change it records."""
from survey.client_ip import client_ip
from survey.models import AuditLog, Organization, User

Action = AuditLog.Action


def audit(
    action: str,
    *,
    actor: User | None,
    request=None,
    organization: Organization | None = None,
    target: str = "",
    **details,
) -> AuditLog:
    """Append one audit row: who, when, what and from where."""
    label = ""
    if actor is not None and getattr(actor, "pk", None):
        label = f"{actor.name} <{actor.email}>"
    elif details.get("email"):
        label = details["email"]
    return AuditLog.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=label[:300],
        action=action,
        organization=organization,
        target=target[:200],
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        details=details,
    )
