"""The response service: versions are kept, branching is re-checked, conflicts are refused."""
import threading

import pytest

from survey.models import AnswerFact, AuditLog, ResponseVersion
from survey.services.responses import ResponseConflict, ResponseInvalid, response_save
from tests.infra.requirements import require

LONG = {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "2", "6": ["1", "2"], "7-1": "1", "7-2": "1",
        "7-3": "1", "7-4": ["2", "3"], "8-1": "1", "8-1:概要": "複数職員で確認", "8-2": "1", "9": "1", "10": "2",
        "10:概要": "誤りを訂正し報告済み"}


def respondent(org):
    return {"組織区分": org.section_label, "組織名": org.display_name, "担当部署名": "福祉課",
            "回答責任者役職": "課長", "回答責任者氏名": "相模 太郎", "連絡先氏名": "原 花子",
            "電話番号": "042-754-1111", "メールアドレス": "fukushi@city.sagamihara.example.jp"}


@pytest.fixture
def target(round_, orgs):
    return round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])


def test_every_save_is_a_new_kept_version(target, sagamihara):
    first = response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)
    second = response_save(target=target, answers={"1-1": "2"}, respondent={}, acting_user=sagamihara,
                           base_revision=first.version.number)
    assert [v.number for v in ResponseVersion.objects.order_by("number")] == [1, 2]
    assert ResponseVersion.objects.get(number=1).answers == {"1-1": "1"}
    assert second.version.response.current_version == second.version


def test_every_channel_keeps_the_revision_at_the_newest_number(target, sagamihara, admin_user):
    """response_save numbers a version revision + 1 without reading the versions: every channel
    (web, the batch import, an upload) must leave `revision` at the newest version's number."""
    from survey.models import VersionSource
    from survey.services.versions import NewVersion, versions_create_many

    org = target.organization
    response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)
    batch = [NewVersion(target=target, answers=LONG, respondent=respondent(org), file_sha256=sha * 64)
             for sha in "ab"]
    versions_create_many(batch, acting_user=admin_user, channel=VersionSource.BULK_IMPORT)
    last = response_save(target=target, answers={"1-1": "2"}, respondent={}, acting_user=sagamihara,
                         source=VersionSource.SHEET_UPLOAD, file_sha256="c" * 64)
    response = last.version.response
    response.refresh_from_db()
    assert [v.number for v in response.versions.order_by("number")] == [1, 2, 3, 4]
    assert last.version.number == response.revision == 4 and response.current_version == last.version


def test_answers_to_skipped_items_are_cleared_and_reported(target, sagamihara):
    outcome = response_save(target=target, answers={"3": "2", "4": "1", "5": "1"}, respondent={},
                            acting_user=sagamihara)
    assert outcome.cleared == ["4", "5"]
    assert "4" not in outcome.version.answers


def test_submit_requires_every_applicable_item(target, sagamihara):
    with pytest.raises(ResponseInvalid) as exc:
        response_save(target=target, answers={"1-1": "1"}, respondent=respondent(target.organization),
                      acting_user=sagamihara, submit=True)
    assert {i.code for i in exc.value.issues} >= {"required"}
    assert not ResponseVersion.objects.exists()


def test_submission_writes_facts_and_audit(target, sagamihara):
    outcome = response_save(target=target, answers=LONG, respondent=respondent(target.organization),
                            acting_user=sagamihara, submit=True)
    facts = set(AnswerFact.objects.values_list("item", "option"))
    assert ("6", "1") in facts and ("6", "2") in facts and ("7-4", "2") in facts and ("1-1", "2") in facts
    assert not any(item == "1-2" for item, _ in facts)  # not applicable to a municipality
    assert outcome.version.risk_level in {"critical", "high", "medium", "low"}
    assert AuditLog.objects.filter(action="submit", actor=sagamihara).count() == 1


def test_save_from_an_old_revision_is_a_conflict_showing_what_changed(target, sagamihara, kanagawa):
    first = response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)
    response_save(target=target, answers={"1-1": "2", "2": "1"}, respondent={}, acting_user=sagamihara,
                  base_revision=first.version.number)
    with pytest.raises(ResponseConflict) as exc:
        response_save(target=target, answers={"1-1": "1", "2": "4"}, respondent={}, acting_user=sagamihara,
                      base_revision=first.version.number)
    assert [c.key for c in exc.value.changes] == ["1-1", "2"]
    assert ResponseVersion.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_give_one_success_and_one_conflict(round_, orgs, sagamihara):
    require("postgres")  # row locks: SQLite serialises writers
    target = round_.targets.get(organization=orgs["141500"])
    base = response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)
    barrier = threading.Barrier(2)
    results = []

    def save(value):
        from django.db import connections

        try:
            barrier.wait()
            t = type(target).objects.select_related("round__survey", "organization").get(pk=target.pk)
            response_save(target=t, answers={"1-1": "2", "2": value}, respondent={}, acting_user=sagamihara,
                          base_revision=base.version.number)
            results.append(("ok", value))
        except ResponseConflict as exc:
            results.append(("conflict", exc.changes))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(v,)) for v in ("1", "2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["conflict", "ok"]
    winner = next(v for kind, v in results if kind == "ok")
    assert ResponseVersion.objects.count() == 2
    assert ResponseVersion.objects.get(number=2).answers["2"] == winner


def test_officers_cannot_save_after_the_deadline_but_administrators_imports_are_accepted(target, sagamihara, admin_user):
    import datetime as dt

    from django.utils import timezone

    from survey.services.responses import RoundClosed

    round_ = target.round
    round_.deadline = timezone.now() - dt.timedelta(minutes=1)
    round_.save()
    with pytest.raises(RoundClosed):
        response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)
    assert not ResponseVersion.objects.exists()
    outcome = response_save(target=target, answers=LONG, respondent=respondent(target.organization),
                            acting_user=admin_user, submit=True, source="bulk_import")
    assert outcome.version.status == "submitted"
