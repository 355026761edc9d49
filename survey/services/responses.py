"""Saving, submitting and importing responses. Every saved state is a new, kept version."""
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from survey import engine
from survey.audit import Action, audit
from survey.facts import fact_pairs, fired_rules
from survey.models import (
    AnswerFact,
    Response,
    ResponseStatus,
    ResponseVersion,
    RoundTarget,
    User,
    VersionSource,
)
from survey.services import attachments
from survey.services.locks import response_locked


class ResponseInvalid(Exception):
    """The answers have errors; nothing was saved."""

    def __init__(self, issues: list[engine.Issue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class Change:
    """One answer that differs between two versions: its value `before` and `after`."""

    key: str
    label: str
    before: str
    after: str


class ResponseConflict(Exception):
    """Someone saved the response after the form was opened; nothing was saved.

    `changes` says what that save changed: `before` is the value the editor started from,
    `after` the value saved meanwhile.
    """

    def __init__(self, current: ResponseVersion, changes: list[Change]):
        super().__init__("回答は他の利用者によって更新されています。")
        self.current = current
        self.changes = changes


class RoundClosed(Exception):
    """The round is closed or past its deadline: officers can no longer change answers."""

    def __init__(self):
        super().__init__("回答期限を過ぎているため、回答を変更できません。")


class DuplicateFile(Exception):
    """This exact file was already imported as a version of this response."""

    def __init__(self, version: ResponseVersion):
        super().__init__(f"同じファイルは既に版{version.number}として取り込まれています。")
        self.version = version


@dataclass
class SaveOutcome:
    version: ResponseVersion
    cleared: list[str] = field(default_factory=list)
    warnings: list[engine.Issue] = field(default_factory=list)


OFFICER_SOURCES = (VersionSource.WEB, VersionSource.SHEET_UPLOAD)


def ministry_fields(target: RoundTarget) -> dict[str, str]:
    """The respondent fields the ministry fills, for this target."""
    defn = target.round.survey.engine
    values = {"制度等": target.round.scheme, "属性": target.effective_attribute}
    return {f.label: values.get(f.label, "") for f in defn.respondent_fields if f.filled_by == "ministry"}


def _describe(defn: engine.Definition, key: str, value) -> str:
    if value in (None, "", []):
        return "（未回答）"
    if ":" in key:
        return str(value)
    item = defn.item(key)
    codes = value if isinstance(value, list) else [value]
    return "、".join(item.option(c).display if item.option(c) else str(c) for c in codes)


def _answer_keys(defn: engine.Definition) -> list[str]:
    """Every answers key in survey order: each item, then its follow-ups."""
    return [key for item in defn.items for key in (item.id, *(f.key for f in item.followups))]


def diff_answers(defn: engine.Definition, old: dict, new: dict, old_resp: dict, new_resp: dict) -> list[Change]:
    """What differs between two answer sets, item by item, in survey order."""
    changes = []
    order = {key: i for i, key in enumerate(_answer_keys(defn))}
    for key in sorted(set(old) | set(new), key=lambda k: order.get(k, 10_000)):
        if old.get(key) != new.get(key):
            label = f"Q{key}" if ":" not in key else f"Q{key.replace(':', ' ')}"
            changes.append(Change(key, label, _describe(defn, key, old.get(key)), _describe(defn, key, new.get(key))))
    for label in sorted(set(old_resp) | set(new_resp)):
        if old_resp.get(label, "") != new_resp.get(label, ""):
            changes.append(Change(label, label, old_resp.get(label, "") or "（未入力）", new_resp.get(label, "") or "（未入力）"))
    return changes


def _next_number(response: Response) -> int:
    last = response.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _write_facts(response: Response, version: ResponseVersion, defn: engine.Definition) -> None:
    """Replace the response's flattened answers by those of its newly submitted version."""
    AnswerFact.objects.filter(response=response).delete()
    AnswerFact.objects.bulk_create(
        AnswerFact(
            round_id=response.round_id, response=response, version=version,
            prefecture_code=response.prefecture_code, org_kind=response.org_kind, item=item, option=option,
        )
        for item, option in fact_pairs(defn, response.organization.engine_kind, version.answers)
    )


@transaction.atomic
def response_save(
    *,
    target: RoundTarget,
    answers: dict,
    respondent: dict,
    acting_user: User | None,
    submit: bool = False,
    base_revision: int | None = None,
    source: str = VersionSource.WEB,
    file_name: str = "",
    file_sha256: str = "",
    file_path: str = "",
    request=None,
) -> SaveOutcome:
    """Save `answers` as a new version of the target's response (a draft, or submitted).

    `answers` and `respondent` are canonical values (engine.normalise_* already applied).
    Answers to items the branching now skips are cleared and reported in `cleared`.
    With `base_revision` (the version number the editor started from), a save made after
    someone else's is refused with ResponseConflict. Invalid answers raise ResponseInvalid.
    Officers' saves (web, own upload) after the deadline raise RoundClosed; administrators'
    imports of sheets returned on paper or by mail are still accepted.
    """
    defn = target.round.survey.engine
    kind = target.organization.engine_kind
    if source in OFFICER_SOURCES and not target.round.is_open:
        raise RoundClosed()
    response = response_locked(target)
    if file_sha256:
        existing = response.versions.filter(file_sha256=file_sha256).first()
        if existing is not None:
            raise DuplicateFile(existing)
    current = response.current_version
    if base_revision is not None and response.revision != base_revision and current is not None:
        base = response.versions.filter(number=base_revision).first()
        base_answers = base.answers if base else {}
        base_resp = base.respondent if base else {}
        raise ResponseConflict(current, diff_answers(defn, base_answers, current.answers, base_resp, current.respondent))

    answers, cleared = engine.clear_inapplicable(defn, kind, answers)
    respondent = {**respondent, **ministry_fields(target)}
    attached = attachments.attached_keys(response)  # an attached file stands in for a written outline
    issues = engine.validate(defn, kind, answers, respondent, complete=submit, attached=attached)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise ResponseInvalid(errors)
    risk = engine.classify_risk(defn, answers, kind)
    status = ResponseStatus.SUBMITTED if submit else ResponseStatus.DRAFT
    now = timezone.now()
    version = ResponseVersion.objects.create(
        response=response, number=_next_number(response), status=status,
        answers=answers, respondent=respondent,
        risk_level=risk.level, risk_rules=fired_rules(risk),
        source=source, created_by=acting_user,
        acting_organization=getattr(acting_user, "organization", None),
        created_at=now, cleared_items=cleared,
        file_name=file_name, file_sha256=file_sha256, file_path=file_path,
    )
    attachments.link_to_version(version)
    response.current_version = version
    response.revision = version.number
    response.updated_at = now
    if submit:
        response.status = ResponseStatus.SUBMITTED
        response.submitted_version = version
        response.submitted_at = now
        response.risk_level = risk.level
        _write_facts(response, version, defn)
    response.save()
    reopened = not submit and response.submitted_version_id is not None and current == response.submitted_version
    audit(
        Action.SUBMIT if submit else (Action.REOPEN if reopened else Action.SAVE_DRAFT),
        actor=acting_user, request=request, organization=target.organization,
        target=f"round:{target.round_id}/org:{target.organization.code}/v{version.number}",
        source=source, cleared=cleared, proxy=version.is_proxy,
    )
    return SaveOutcome(version=version, cleared=cleared, warnings=[i for i in issues if i.severity == "warning"])
