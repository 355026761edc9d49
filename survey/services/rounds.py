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


@transaction.atomic
def round_set_status(*, round: Round, status: str, acting_user: User, request=None) -> Round:
    """Open or close a round (準備中 → 回答受付中 → 締切済)."""
    round.status = status
    if status == RoundStatus.OPEN and round.opened_at is None:
        round.opened_at = timezone.now()
    round.save(update_fields=["status", "opened_at"])
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, target=f"round:{round.pk}", status=status)
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
    reason = reason.strip()
    if not reason:
        raise ValidationError("延長の理由を入力してください。", code="reason_required")
    previous = target.extended_deadline if target.is_extended else None
    target.extended_deadline, target.extension_reason = deadline, reason[:EXTENSION_REASON_MAX]
    target.extension_granted_by, target.extension_granted_at = acting_user, timezone.now()
    target.save(update_fields=["extended_deadline", "extension_reason", "extension_granted_by",
                               "extension_granted_at"])
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{rnd.pk}/org:{target.organization.code}", change="extension",
          deadline=deadline.isoformat(), previous=previous.isoformat() if previous else "", reason=reason)
    return target
