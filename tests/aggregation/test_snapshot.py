"""Freezing a round: the snapshot keeps the versions it counted, their facts and a content hash."""
import hashlib
import json

import openpyxl
import pytest

from aggregation.aggregate_workbook import build_workbook
from aggregation.models import SnapshotFact, SnapshotVersion
from aggregation.services import snapshot_create, snapshot_verify
from aggregation.source import FigureSource
from survey.models import AnswerFact, AuditLog, Response
from survey.services.responses import response_save
from tests.aggregation.conftest import KNOWN, respondent
from tests.aggregation.test_workbook import expected, in_scope, read_overall
from tests.cast import ministry, orgs, survey_version  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
SUBMITTED = sorted(c for c, (state, _, _) in KNOWN.items() if state == "submitted")


@pytest.fixture
def snapshot(agg_round, ministry):  # noqa: F811
    return snapshot_create(round=agg_round, acting_user=ministry, label="締切時点")


def submit_later(rnd, code, answers):
    target = rnd.targets.select_related("round__survey", "organization").get(organization__code=code)
    response_save(target=target, answers=answers, respondent=respondent(target.organization),
                  acting_user=None, submit=True)


def independent_hash(rnd, codes):
    """SHA-256 over (version id, answers) in code order, computed here from the rows themselves."""
    digest = hashlib.sha256()
    for code in sorted(codes):
        version = Response.objects.get(round=rnd, organization__code=code).submitted_version
        line = json.dumps([version.pk, version.answers], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update((line + "\n").encode())
    return digest.hexdigest()


def test_snapshot_keeps_the_submitted_versions_and_their_facts(agg_round, snapshot, ministry):  # noqa: F811
    assert snapshot.response_count == len(SUBMITTED)
    assert snapshot.target_count == len(KNOWN)
    kept = SnapshotVersion.objects.filter(snapshot=snapshot)
    assert sorted(kept.values_list("response__organization__code", flat=True)) == SUBMITTED
    for entry in kept.select_related("response"):
        assert entry.version_id == entry.response.submitted_version_id
    live = sorted(AnswerFact.objects.filter(round=agg_round).values_list("version_id", "item", "option"))
    frozen = sorted(SnapshotFact.objects.filter(snapshot=snapshot).values_list("version_id", "item", "option"))
    assert frozen == live and snapshot.fact_count == len(live)
    assert snapshot.content_sha256 == independent_hash(agg_round, SUBMITTED)
    log = AuditLog.objects.get(action=AuditLog.Action.SNAPSHOT)
    assert log.actor == ministry and log.details["sha256"] == snapshot.content_sha256


def test_snapshot_figures_do_not_move_after_a_later_submission(tmp_path, agg_round, snapshot):
    defn = agg_round.survey.engine
    submit_later(agg_round, "142042", {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "1", "10": "1"})
    submit_later(agg_round, "141003", {**KNOWN["141003"][1], "10": "4", "10:概要": "後から判明"})

    build_workbook(FigureSource(agg_round, snapshot), tmp_path / "frozen.xlsx")
    frozen = read_overall(openpyxl.load_workbook(tmp_path / "frozen.xlsx")["集計（全体）"])
    want = expected(defn, in_scope())
    for label, w in want["items"].items():
        assert {k: v[0] for k, v in frozen[label]["options"].items()} == w["options"], label
        assert (frozen[label]["unanswered"], frozen[label]["base"]) == (w["unanswered"], w["base"])

    build_workbook(FigureSource(agg_round), tmp_path / "live.xlsx")
    live = read_overall(openpyxl.load_workbook(tmp_path / "live.xlsx")["集計（全体）"])
    assert live["Q10"]["options"]["④事例はある。原因が特定されず、改善されていない（概要を添付してください。）。"][0] == 1
    assert frozen["Q10"]["options"]["④事例はある。原因が特定されず、改善されていない（概要を添付してください。）。"][0] == 0
    assert live["Q3"]["base"] == frozen["Q3"]["base"] + 1


def test_snapshot_hash_verifies_and_a_rebuild_rests_on_the_same_answers(tmp_path, agg_round, snapshot):
    submit_later(agg_round, "141003", {**KNOWN["141003"][1], "9": "1"})
    check = snapshot_verify(snapshot)
    assert check.ok and check.recomputed_sha256 == snapshot.content_sha256
    result = build_workbook(FigureSource(agg_round, snapshot), tmp_path / "frozen.xlsx")
    assert result.content_sha256 == snapshot.content_sha256
    assert build_workbook(FigureSource(agg_round), tmp_path / "live.xlsx").content_sha256 != snapshot.content_sha256


def test_a_tampered_version_fails_verification(agg_round, snapshot):
    from survey.models import ResponseVersion

    entry = SnapshotVersion.objects.filter(snapshot=snapshot).first()
    ResponseVersion.objects.filter(pk=entry.version_id).update(answers={"2": "1"})
    assert not snapshot_verify(snapshot).ok


def test_snapshot_rows_say_not_submitted_at_freeze(tmp_path, agg_round, snapshot):
    submit_later(agg_round, "142042", {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "1", "10": "1"})
    build_workbook(FigureSource(agg_round, snapshot), tmp_path / "frozen.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "frozen.xlsx")["回答一覧"]
    status = {r[0]: r[4] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert status["142042"] == "未提出（確定時点）" and status["141003"] == "提出済"
