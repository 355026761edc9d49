"""The response row of a target, created on first use and locked for the writing transaction.

Shared by the submission service and the attachment service (which must not import each other:
the submission service asks the attachment service which follow-ups have a file).
"""
from django.db import IntegrityError, transaction

from survey.models import Response, RoundTarget


def response_locked(target: RoundTarget) -> Response:
    """The response row of the target, created if needed, locked until the transaction ends."""
    org = target.organization
    try:
        with transaction.atomic():
            Response.objects.get_or_create(
                round_id=target.round_id,
                organization=org,
                defaults={"prefecture_code": org.prefecture_code, "org_kind": org.kind},
            )
    except IntegrityError:
        pass  # created concurrently by someone else: lock theirs below
    return Response.objects.select_for_update().get(round_id=target.round_id, organization=org)
