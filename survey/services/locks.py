"""The response row of a target, created on first use and locked for the writing transaction.

Shared by the submission service and the attachment service (which must not import each other:
the submission service asks the attachment service which follow-ups have a file).
"""
from django.core.exceptions import PermissionDenied
from django.db import connection

from survey.joined import Joined, Part
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
    response = _locked_row(target.round_id, target.organization_id)
    if response is not None:
        return response  # the usual case: one query
    org = target.organization
    # The first save: ON CONFLICT DO NOTHING waits for a concurrent creator and keeps its row,
    # without the savepoint an IntegrityError would need; the read below locks whichever row won.
    Response.objects.bulk_create([Response(round_id=target.round_id, organization=org,
                                           prefecture_code=org.prefecture_code, org_kind=org.kind)],
                                 ignore_conflicts=True)
    return _locked_row(target.round_id, target.organization_id)


def _locked_row(round_id: int, organization_id: int) -> Response | None:
    """The response row, locked (at most one: unique per round). On PostgreSQL through
    survey.joined (SQL written once per process: the ORM builds this query anew on each save for
    about three times its CPU)."""
    if connection.vendor != "postgresql":
        # order_by(): Meta.ordering (organization__code) would join (and lock) the organisation
        rows = Response.objects.select_for_update().filter(round_id=round_id, organization_id=organization_id)
        return next(iter(rows.order_by()), None)
    rows = _LOCKED.rows([round_id, organization_id])
    return rows[0][0] if rows else None


# SQLite has no row locks (its writers take the database's lock): the ORM path above serves it.
_LOCKED = Joined([Part(Response, "r")], "FROM {r} WHERE r.round_id = %s AND r.organization_id = %s FOR UPDATE")


def response_writable(target: RoundTarget) -> Response:
    """`response_locked`, refusing (ResponseApproved) a response a reviewer approved."""
    response = response_locked(target)
    if response.review == ReviewState.APPROVED:
        raise ResponseApproved()
    return response
