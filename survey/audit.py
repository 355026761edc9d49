"""Writing the audit log. Call inside the transaction of the change it records."""
from survey.models import AuditLog, Organization, User

Action = AuditLog.Action


def client_ip(request) -> str | None:
    """The client address; behind the proxy the first X-Forwarded-For hop."""
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


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
        actor_label=label,
        action=action,
        organization=organization,
        target=target[:200],
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        details=details,
    )
