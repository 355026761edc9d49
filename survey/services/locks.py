"""The response row of a target, created on first use and locked for the writing transaction.

Shared by the submission service and the attachment service (which must not import each other:
the submission service asks the attachment service which follow-ups have a file).
"""
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from survey.models import Response, ReviewState, RoundTarget


class ResponseApproved(PermissionDenied):
    """The response is approved (承認済): locked for every channel until a reviewer reopens it.

    A PermissionDenied, so that a view that does not expect it answers 403 with this message."""

    code = "response_approved"

    def __init__(self):
        super().__init__("この回答は承認済みのため変更できません。変更が必要な場合は審査者に承認の取り消しを依頼してください。")


def response_locked(target: RoundTarget) -> Response:
    """The response row of the target, created if needed, locked until the transaction ends.

    Nothing is joined to the locked row: after waiting for another writer's lock, PostgreSQL
    re-reads the locked row but not the rows joined to it, which would be stale."""
    org = target.organization
    # order_by(): first() would order by Meta.ordering (organization__code), joining (and locking) the organisation
    locked = Response.objects.select_for_update().filter(round_id=target.round_id, organization=org).order_by()
    response = next(iter(locked), None)  # the usual case: one query (at most one row: unique per round)
    if response is not None:
        return response
    try:
        with transaction.atomic():
            Response.objects.get_or_create(
                round_id=target.round_id,
                organization=org,
                defaults={"prefecture_code": org.prefecture_code, "org_kind": org.kind},
            )
    except IntegrityError:
        pass  # created concurrently by someone else: lock theirs below
    return locked.get()


def response_writable(target: RoundTarget) -> Response:
    """`response_locked`, refusing (ResponseApproved) a response a reviewer approved."""
    response = response_locked(target)
    if response.review == ReviewState.APPROVED:
        raise ResponseApproved()
    return response
