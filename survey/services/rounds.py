"""Loading survey definitions and creating rounds."""
import hashlib
import json
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from survey import engine
from survey.audit import Action, audit
from survey.models import Organization, Round, RoundStatus, RoundTarget, SurveyVersion, User

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "definitions"


class DefinitionChanged(Exception):
    """A definition file changed without a new version number."""


def survey_version_load(path: Path) -> tuple[SurveyVersion, bool]:
    """Load a definition file; returns (version, created). A version is immutable once loaded."""
    defn = engine.load_definition(path)
    data = engine.definition_to_dict(defn)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    existing = SurveyVersion.objects.filter(code=defn.code, version=defn.version).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise DefinitionChanged(
                f"{path.name}: 調査定義 {defn.code} {defn.version} は既に別の内容で登録されています。"
                "内容を変える場合は version を上げてください。"
            )
        return existing, False
    return SurveyVersion.objects.create(
        code=defn.code, version=defn.version, title=defn.title, definition=data, sha256=digest
    ), True


def default_definition_path() -> Path:
    """The newest definition file shipped with the portal."""
    return sorted(DEFINITIONS_DIR.glob("*.toml"))[-1]


@transaction.atomic
def round_create(
    *,
    survey: SurveyVersion,
    title: str,
    deadline: datetime,
    scheme: str,
    attribute: str = "",
    organizations=None,
    open_now: bool = True,
    acting_user: User | None = None,
) -> Round:
    """Create a round for `organizations` (default: every active organisation of the master)."""
    orgs = organizations if organizations is not None else Organization.objects.filter(is_active=True)
    rnd = Round.objects.create(
        survey=survey, title=title, deadline=deadline, scheme=scheme, attribute=attribute,
        status=RoundStatus.OPEN if open_now else RoundStatus.DRAFT,
        opened_at=timezone.now() if open_now else None,
    )
    RoundTarget.objects.bulk_create([RoundTarget(round=rnd, organization=o) for o in orgs], batch_size=1000)
    audit(Action.ROUND_CHANGE, actor=acting_user, target=f"round:{rnd.pk}", created=True, title=title)
    return rnd


@transaction.atomic
def target_set_delegated(*, target: RoundTarget, delegated: bool, acting_user: User, request=None) -> RoundTarget:
    """Mark a municipality as answered by its prefecture (or undo it)."""
    target.delegated = delegated
    target.save(update_fields=["delegated"])
    audit(Action.DELEGATION, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{target.round_id}/org:{target.organization.code}", delegated=delegated)
    return target


# --- the round's lifecycle: 準備中 → 回答受付中 → 締切 → 確定 (campaign.md) -------------------------

TRANSITIONS = {RoundStatus.DRAFT: RoundStatus.OPEN, RoundStatus.OPEN: RoundStatus.CLOSED}
REOPENS = {RoundStatus.CLOSED: RoundStatus.OPEN, RoundStatus.FINALISED: RoundStatus.CLOSED}
EDITABLE = (RoundStatus.DRAFT, RoundStatus.OPEN)
REASON_MAX = 1000


def _round_audit(round: Round, acting_user, request, **details) -> None:
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, target=f"round:{round.pk}", **details)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError("理由を入力してください。", code="reason_required")
    return reason[:REASON_MAX]


@transaction.atomic
def round_set_status(*, round: Round, status: str, acting_user: User, request=None) -> Round:
    """Publish (準備中 → 回答受付中) or close (回答受付中 → 締切) a round.

    Raises ValidationError `bad_transition` for any other step (reopening has its own service,
    finalising is aggregation.services.round_finalise).
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if TRANSITIONS.get(round.status) != status:
        raise ValidationError("この調査回の状態は変更できません（画面を更新してください）。", code="bad_transition")
    previous, round.status = round.status, status
    if status == RoundStatus.OPEN and round.opened_at is None:
        round.opened_at = timezone.now()
    round.save(update_fields=["status", "opened_at"])
    _round_audit(round, acting_user, request, change="status", previous=previous, status=status)
    return round


@transaction.atomic
def round_update(*, round: Round, title: str, deadline: datetime, acting_user: User, request=None,
                 scheme: str | None = None, attribute: str | None = None) -> Round:
    """Edit a round: title and deadline while 準備中 or 回答受付中; scheme and attribute only while 準備中.

    Raises ValidationError: `not_editable` (closed or finalised), `deadline_past`, `frozen_field`
    (scheme or attribute changed once published: the sheets already sent carry them).
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status not in EDITABLE:
        raise ValidationError("締め切った調査回は編集できません。", code="not_editable")
    if deadline != round.deadline and deadline <= timezone.now():
        raise ValidationError("回答期限は現在より後の日時を指定してください。", code="deadline_past")
    changes = {"title": title.strip(), "deadline": deadline}
    for name, value in (("scheme", scheme), ("attribute", attribute)):
        if value is not None and value != getattr(round, name):
            if round.status != RoundStatus.DRAFT:
                raise ValidationError("公開後は制度等・属性を変更できません。", code="frozen_field")
            changes[name] = value.strip()
    changed = {name: (str(getattr(round, name)), str(value)) for name, value in changes.items()
               if getattr(round, name) != value}
    for name, value in changes.items():
        setattr(round, name, value)
    round.save(update_fields=list(changes))
    if changed:
        _round_audit(round, acting_user, request, change="edit",
                     fields={name: {"before": b, "after": a} for name, (b, a) in changed.items()})
    return round


@transaction.atomic
def round_add_targets(*, round: Round, organizations, acting_user: User, request=None) -> list[RoundTarget]:
    """Add organisations to a round while 準備中 or 回答受付中 (those already targets are skipped).

    Raises ValidationError `not_editable` once closed.
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status not in EDITABLE:
        raise ValidationError("締め切った調査回には対象団体を追加できません。", code="not_editable")
    existing = set(RoundTarget.objects.filter(round=round).values_list("organization_id", flat=True))
    new = [RoundTarget(round=round, organization=o) for o in organizations if o.pk not in existing]
    RoundTarget.objects.bulk_create(new)
    if new:
        _round_audit(round, acting_user, request, change="targets_added",
                     organizations=[t.organization.code for t in new])
    return new


@transaction.atomic
def round_reopen(*, round: Round, reason: str, acting_user: User, deadline: datetime | None = None,
                 request=None) -> Round:
    """Reopen a round one step, with a recorded reason: 締切 → 回答受付中, 確定 → 締切.

    Reopening a closed round whose deadline has passed needs a new deadline (later than now).
    Reopening a finalised round leaves its snapshot as it was. Raises ValidationError:
    `bad_transition`, `reason_required`, `deadline_required`, `deadline_past`.
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    status = REOPENS.get(round.status)
    if status is None:
        raise ValidationError("この調査回は再開できません（画面を更新してください）。", code="bad_transition")
    reason = _reason(reason)
    fields, previous = ["status"], round.status
    if status == RoundStatus.OPEN and (deadline is not None or round.deadline <= timezone.now()):
        if deadline is None:
            raise ValidationError("回答期限を過ぎているため、新しい回答期限を指定してください。", code="deadline_required")
        if deadline <= timezone.now():
            raise ValidationError("回答期限は現在より後の日時を指定してください。", code="deadline_past")
        round.deadline = deadline
        fields.append("deadline")
    round.status = status
    round.save(update_fields=fields)
    _round_audit(round, acting_user, request, change="reopen", previous=previous, status=status, reason=reason,
                 deadline=round.deadline.isoformat())
    return round


@transaction.atomic
def round_mark_finalised(*, round: Round, acting_user: User, snapshot_id: int, request=None) -> Round:
    """締切 → 確定, recording the snapshot that froze the figures.

    Called by aggregation.services.round_finalise in the snapshot's transaction (survey never
    imports aggregation). Raises ValidationError `bad_transition` unless the round is closed.
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status != RoundStatus.CLOSED:
        raise ValidationError("締め切った調査回だけを確定できます。", code="bad_transition")
    round.status = RoundStatus.FINALISED
    round.save(update_fields=["status"])
    _round_audit(round, acting_user, request, change="finalise", previous=RoundStatus.CLOSED,
                 status=RoundStatus.FINALISED, snapshot=snapshot_id)
    return round


EXTENSION_REASON_MAX = 1000


@transaction.atomic
def target_extend(*, target: RoundTarget, deadline: datetime, reason: str, acting_user: User,
                  request=None) -> RoundTarget:
    """Extend one organisation's deadline (期限の延長): later than the round's only, with a reason.

    A new extension replaces the previous one (earlier or later), each audited with the one it
    replaced. Raises ValidationError: `finalised` (the round's figures are frozen), `not_later`
    (not after the round's deadline), `reason_required`.
    """
    rnd = target.round
    if rnd.status == RoundStatus.FINALISED:
        raise ValidationError("確定した調査回の回答期限は延長できません。", code="finalised")
    if deadline <= rnd.deadline:
        raise ValidationError("延長後の回答期限は、調査回の回答期限より後の日時を指定してください。", code="not_later")
    if not reason.strip():
        raise ValidationError("延長の理由を入力してください。", code="reason_required")
    reason = reason.strip()
    previous = target.extended_deadline if target.is_extended else None
    target.extended_deadline, target.extension_reason = deadline, reason[:EXTENSION_REASON_MAX]
    target.extension_granted_by, target.extension_granted_at = acting_user, timezone.now()
    target.save(update_fields=["extended_deadline", "extension_reason", "extension_granted_by",
                               "extension_granted_at"])
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{rnd.pk}/org:{target.organization.code}", change="extension",
          deadline=deadline.isoformat(), previous=previous.isoformat() if previous else "", reason=reason)
    return target


@transaction.atomic
def target_extension_withdraw(*, target: RoundTarget, reason: str, acting_user: User, request=None) -> RoundTarget:
    """Withdraw an organisation's extension (granted by mistake): the round's deadline rules again.

    Raises ValidationError: `no_extension`, `finalised`, `reason_required`.
    """
    if not target.is_extended:
        raise ValidationError("この団体の回答期限は延長されていません。", code="no_extension")
    if target.round.status == RoundStatus.FINALISED:
        raise ValidationError("確定した調査回の延長は取り消せません。", code="finalised")
    reason = _reason(reason)
    previous = target.extended_deadline
    target.extended_deadline, target.extension_reason = None, ""
    target.extension_granted_by, target.extension_granted_at = None, None
    target.save(update_fields=["extended_deadline", "extension_reason", "extension_granted_by",
                               "extension_granted_at"])
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{target.round_id}/org:{target.organization.code}", change="extension_withdrawn",
          previous=previous.isoformat(), reason=reason)
    return target
