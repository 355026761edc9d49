"""Saving and submitting a response: every saved state is a new, kept version.

`response_save` is the one service that makes a version, whatever the channel (`source`: the
web form, an officer's sheet upload, a command; bulk imports use its batch form,
`survey.services.versions.versions_create_many`, which shares every step).
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from survey import engine
from survey.models import (
    ResponseVersion,
    ReviewState,
    RoundTarget,
    User,
    VersionSource,
)
from survey.services import attachments
from survey.services.locks import ResponseApproved, response_writable
from survey.services.version_write import version_write
from survey.services.versions import (
    ResponseInvalid,
    answers_check,
    file_version,
    ministry_fields,
    threads_close,
    version_audit_row,
    version_build,
)

__all__ = ["ResponseApproved", "ResponseInvalid", "ministry_fields", "response_save"]


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
    """This exact file is already kept as a version of this response (see versions.file_version).

    A submission refuses a file that a submitted version counted; a draft refuses a file that
    any version has. So a sheet uploaded as a draft can still be submitted (imported) once.
    """

    def __init__(self, version: ResponseVersion):
        super().__init__(f"同じファイルは既に版{version.number}として取り込まれています。")
        self.version = version


@dataclass
class SaveOutcome:
    version: ResponseVersion
    cleared: list[str] = field(default_factory=list)
    warnings: list[engine.Issue] = field(default_factory=list)
    attached: frozenset[str] = frozenset()  # follow-ups with a file, as read under the lock for this save


OFFICER_SOURCES = (VersionSource.WEB, VersionSource.SHEET_UPLOAD)


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
    imports of sheets returned on paper or by mail are still accepted. A file already kept
    (see DuplicateFile) raises DuplicateFile. An approved response raises ResponseApproved,
    whatever the channel. The steps are survey.services.versions'.
    """
    defn = target.round.survey.engine
    if source in OFFICER_SOURCES and not target.accepts_answers:
        raise RoundClosed()
    response = response_writable(target)
    response.round, response.organization = target.round, target.organization  # one parsed definition
    if file_sha256:
        existing = file_version(response, file_sha256, submit=submit)
        if existing is not None:
            raise DuplicateFile(existing)
    if base_revision is not None and response.revision != base_revision and response.current_version_id is not None:
        current = response.current_version
        base = response.versions.filter(number=base_revision).first()
        base_answers = base.answers if base else {}
        base_resp = base.respondent if base else {}
        raise ResponseConflict(current, diff_answers(defn, base_answers, current.answers, base_resp, current.respondent))

    # an attached file stands in for a written outline
    files = attachments.live_files(response)
    checked = answers_check(target, answers, respondent, complete=submit, attached=files.followup_keys)
    # `revision` is the newest version's number (response_point keeps it so), read under the lock
    version = version_build(response=response, number=response.revision + 1, checked=checked, submit=submit,
                            channel=source, acting_user=acting_user, now=timezone.now(), file_name=file_name,
                            file_sha256=file_sha256, file_path=file_path)
    reopened = (not submit and response.submitted_version_id is not None
                and response.current_version_id == response.submitted_version_id)
    was_returned = response.review == ReviewState.RETURNED
    audit = version_audit_row(version, target=target, cleared=checked.cleared, reopened=reopened,
                              acting_user=acting_user, request=request)
    # the version, the files it counts, the response pointing at it, its facts and audit row: one statement
    version_write(response=response, version=version, audit=audit, files=files)
    if submit and was_returned:
        threads_close([version])
    return SaveOutcome(version=version, cleared=checked.cleared, warnings=checked.warnings,
                       attached=files.followup_keys)

