"""Reviewing a submitted response: approve (locks it), return with comments (差し戻し), reopen.

Who may review is survey.access's decision (`can_review`, fetched with
`access.target_get_for_review`); these services check only the response's state. States are
campaign.md's: a return or an approval concerns the submitted version; a new submission through
survey.services.versions clears the return and closes its open threads (`threads_close`); an
approved response takes no new version through any channel (`locks.response_writable`) until a
reviewer reopens it with a reason. Every change writes its audit row in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from survey.audit import Action, audit
from survey.models import (
    Response,
    ResponseStatus,
    ReviewComment,
    ReviewState,
    ReviewThread,
    RoundTarget,
    User,
)

COMMENT_MAX = 2000
REASON_MAX = 500


class ReviewRefused(Exception):
    """The response is not in a state that allows this decision; nothing changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Anchor:
    """What a comment is about: an item id (`7-2`), a respondent field (`電話番号`) or the whole response."""

    kind: str
    key: str = ""

    @classmethod
    def parse(cls, value: str) -> Anchor:
        """`item:7-2`, `field:電話番号` or `response` (the form's and the URL's spelling)."""
        kind, _, key = value.partition(":")
        return cls(kind=kind, key=key)

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind


@dataclass(frozen=True)
class NewComment:
    anchor: Anchor
    body: str


def anchor_check(target: RoundTarget, anchor: Anchor) -> Anchor:
    """The anchor if the survey has it (ReviewRefused otherwise)."""
    defn = target.round.survey.engine
    known = (
        (anchor.kind == ReviewThread.Anchor.RESPONSE and not anchor.key)
        or (anchor.kind == ReviewThread.Anchor.ITEM and anchor.key in {i.id for i in defn.items})
        or (anchor.kind == ReviewThread.Anchor.FIELD and anchor.key in {f.label for f in defn.respondent_fields})
    )
    if not known:
        raise ReviewRefused("unknown_anchor", "コメントの対象（設問・回答者情報）が見つかりません。")
    return anchor


def _body(text: str) -> str:
    body = (text or "").strip()
    if not body:
        raise ReviewRefused("empty_comment", "コメントを入力してください。")
    if len(body) > COMMENT_MAX:
        raise ReviewRefused("comment_too_long", f"コメントは{COMMENT_MAX}文字以内で入力してください。")
    return body


def _locked(target: RoundTarget, seen: int | None = None) -> Response:
    """The submitted response, locked; with `seen` (the version number the reviewer read), a
    resubmission made meanwhile is refused, so a decision never lands on a version nobody read."""
    response = (Response.objects.select_for_update(of=("self",)).select_related("submitted_version")
                .filter(round_id=target.round_id, organization_id=target.organization_id).first())
    if response is None or response.status != ResponseStatus.SUBMITTED or response.submitted_version_id is None:
        raise ReviewRefused("not_submitted", "提出されていない回答は審査できません。")
    if seen is not None and response.submitted_version.number != seen:
        raise ReviewRefused("resubmitted", f"審査中に回答が再提出されました（第{response.submitted_version.number}版）。"
                                           "最新の提出内容を確認してから判断してください。")
    return response


def _audit_target(target: RoundTarget, response: Response) -> str:
    return f"round:{target.round_id}/org:{target.organization.code}/v{response.submitted_version.number}"


def _decide(response: Response, review: str, user: User, now, *also: str) -> None:
    response.review, response.reviewed_at, response.reviewed_by = review, now, user
    response.save(update_fields=["review", "reviewed_at", "reviewed_by", *also])


def _close_open(response: Response, now) -> int:
    return ReviewThread.objects.filter(response=response, closed_at__isnull=True).update(closed_at=now)


@transaction.atomic
def response_approve(*, target: RoundTarget, acting_user: User, seen_version: int | None = None,
                     request=None) -> Response:
    """Approve the submitted version (承認済): locked for every channel until reopened.

    A returned response may be approved as it stands (the reviewer accepts the officer's
    reply); its open threads are closed. `seen_version`: the submitted version the reviewer read.
    """
    response = _locked(target, seen_version)
    if response.review == ReviewState.APPROVED:
        raise ReviewRefused("already_approved", "この回答は既に承認されています。")
    now = timezone.now()
    closed = _close_open(response, now)
    _decide(response, ReviewState.APPROVED, acting_user, now)
    audit(Action.REVIEW_APPROVE, actor=acting_user, request=request, organization=target.organization,
          target=_audit_target(target, response), version=response.submitted_version.number, closed_threads=closed)
    return response


@transaction.atomic
def response_return(*, target: RoundTarget, comments: list[NewComment], acting_user: User,
                    seen_version: int | None = None, request=None) -> list[ReviewThread]:
    """Return the response (差し戻し中) with at least one comment, each opening a thread.

    Returning a response already returned adds threads to the return.
    """
    if not comments:
        raise ReviewRefused("no_comment", "差し戻すにはコメントを1件以上入力してください。")
    checked = [(anchor_check(target, c.anchor), _body(c.body)) for c in comments]
    response = _locked(target, seen_version)
    if response.review == ReviewState.APPROVED:
        raise ReviewRefused("approved", "承認済みの回答は、承認を取り消してから差し戻してください。")
    now = timezone.now()
    threads = [_thread(response, anchor, body, acting_user, now) for anchor, body in checked]
    response.has_review_threads = True
    _decide(response, ReviewState.RETURNED, acting_user, now, "has_review_threads")
    audit(Action.REVIEW_RETURN, actor=acting_user, request=request, organization=target.organization,
          target=_audit_target(target, response), version=response.submitted_version.number,
          threads=[t.pk for t in threads], anchors=[a.value for a, _ in checked])
    return threads


def _thread(response: Response, anchor: Anchor, body: str, user: User, now) -> ReviewThread:
    thread = ReviewThread.objects.create(response=response, anchor_kind=anchor.kind, anchor=anchor.key,
                                         version_id=response.submitted_version_id, opened_by=user, opened_at=now)
    ReviewComment.objects.create(thread=thread, author=user, author_organization=_org_of(user), body=body,
                                 created_at=now)
    return thread


def _org_of(user: User):
    return getattr(user, "organization", None)


@transaction.atomic
def response_reopen(*, target: RoundTarget, reason: str, acting_user: User, request=None) -> Response:
    """Reopen an approved response with a reason: back to 提出済, editable again."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused("no_reason", "承認を取り消す理由を入力してください。")
    if len(reason) > REASON_MAX:
        raise ReviewRefused("reason_too_long", f"理由は{REASON_MAX}文字以内で入力してください。")
    response = _locked(target)
    if response.review != ReviewState.APPROVED:
        raise ReviewRefused("not_approved", "承認されていない回答は取り消せません。")
    _decide(response, ReviewState.NONE, acting_user, timezone.now())
    audit(Action.REVIEW_REOPEN, actor=acting_user, request=request, organization=target.organization,
          target=_audit_target(target, response), version=response.submitted_version.number, reason=reason)
    return response


@transaction.atomic
def comment_reply(*, target: RoundTarget, thread: ReviewThread, body: str, acting_user: User,
                  request=None) -> ReviewComment:
    """Reply in an open thread (the officer answering the reviewer, or the reviewer again)."""
    body = _body(body)
    thread = ReviewThread.objects.select_for_update().get(pk=thread.pk)
    if thread.response.round_id != target.round_id or thread.response.organization_id != target.organization_id:
        raise ReviewRefused("other_response", "このコメントはこの回答のものではありません。")
    if not thread.is_open:
        raise ReviewRefused("closed", "このコメントは再提出により完了しているため、返信できません。")
    comment = ReviewComment.objects.create(thread=thread, author=acting_user, author_organization=_org_of(acting_user),
                                           body=body)
    audit(Action.REVIEW_COMMENT, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{target.round_id}/org:{target.organization.code}/thread:{thread.pk}",
          thread=thread.pk, comment=comment.pk, anchor=Anchor(thread.anchor_kind, thread.anchor).value)
    return comment
