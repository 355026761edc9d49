"""Review states in the figures: dashboards' state filter, status counts, the workbook's 状態
column and filter, snapshots keeping each response's state, risk flags linking to a return."""
import openpyxl
import pytest

from aggregation.aggregate_workbook import build_workbook
from aggregation.models import SnapshotVersion
from aggregation.services import snapshot_create
from aggregation.source import FigureSource
from survey.services.review import Anchor, NewComment, response_approve, response_return

from .conftest import LONG_ANSWERS, RESPONDENT, SHORT_ANSWERS, login, save, target_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(round_, sagamihara, yokohama, kanagawa, ministry):
    """相模原市 returned, 横浜市 approved, 鎌倉市 submitted and not reviewed, 東京都 a draft."""
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    save(round_, "141003", yokohama, SHORT_ANSWERS, {**RESPONDENT, "組織名": "14神奈川県横浜市"}, submit=True)
    save(round_, "142042", ministry, SHORT_ANSWERS, {**RESPONDENT, "組織名": "14神奈川県鎌倉市"}, submit=True)
    save(round_, "130001", ministry, {"1-1": "1"}, {"担当部署名": "総務局"})
    response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                    comments=[NewComment(Anchor("item", "7-2"), "確認してください")])
    response_approve(target=target_of(round_, "141003"), acting_user=kanagawa)
    return round_


def _counted_codes(source):
    return sorted(source.counted().values_list("organization__code" if not source.is_frozen
                                               else "response__organization__code", flat=True))


def test_figure_source_counts_only_the_state_asked_for(reviewed):
    assert _counted_codes(FigureSource(reviewed)) == ["141003", "141500", "142042"]
    assert _counted_codes(FigureSource(reviewed, state="approved")) == ["141003"]
    assert _counted_codes(FigureSource(reviewed, state="returned")) == ["141500"]
    assert _counted_codes(FigureSource(reviewed, state="submitted")) == ["142042"]
    facts = FigureSource(reviewed, state="approved").facts()
    assert set(facts.values_list("response__organization__code", flat=True)) == {"141003"}


def test_snapshot_keeps_each_response_state_and_filters_on_it(reviewed, ministry, kanagawa):
    snapshot = snapshot_create(round=reviewed, acting_user=ministry, label="確定")
    kept = dict(SnapshotVersion.objects.filter(snapshot=snapshot)
                .values_list("response__organization__code", "state"))
    assert kept == {"141500": "returned", "141003": "approved", "142042": "submitted"}
    response_approve(target=target_of(reviewed, "142042"), acting_user=kanagawa)  # later: not in the snapshot
    frozen = FigureSource(reviewed, snapshot, state="approved")
    assert _counted_codes(frozen) == ["141003"]
    assert set(frozen.facts().values_list("response_id", flat=True)) == set(
        SnapshotVersion.objects.filter(snapshot=snapshot, state="approved").values_list("response_id", flat=True))


def _org_sheet(tmp_path, source):
    path = tmp_path / "book.xlsx"
    build_workbook(source, path)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["回答一覧"].iter_rows(values_only=True))
    non = [r[0] for r in list(book["未提出団体"].iter_rows(values_only=True))[1:]]
    return {r[0]: r for r in rows[1:]}, rows[0].index("状態"), non


def test_workbook_state_column_and_filter(reviewed, tmp_path):
    rows, col, non = _org_sheet(tmp_path, FigureSource(reviewed))
    assert {code: rows[code][col] for code in ("141500", "141003", "142042", "130001", "140007")} == {
        "141500": "差し戻し中", "141003": "承認済", "142042": "提出済", "130001": "下書き", "140007": "未着手"}
    rows, col, non = _org_sheet(tmp_path, FigureSource(reviewed, state="approved"))
    assert rows["141003"][col + 2] is not None  # the approved one carries its answers
    assert rows["141500"][col] == "差し戻し中" and len([c for c in rows["141500"] if c is not None]) <= 6
    assert "141500" not in non and "142042" not in non and "130001" in non  # a submission is no non-submitter


def test_dashboards_filter_by_state(reviewed, ministry):
    client = login(ministry)
    page = client.get(f"/aggregation/rounds/{reviewed.pk}/results/?state=approved")
    assert page.status_code == 200 and page.context["state"] == "approved"
    assert '<option value="approved" selected>' in page.text
    assert client.get(f"/aggregation/rounds/{reviewed.pk}/results/?state=bogus").context["state"] == ""


def test_status_dashboard_counts_returned_and_approved(reviewed, ministry):
    total = login(ministry).get(f"/aggregation/rounds/{reviewed.pk}/status/").context["total"]
    assert (total.submitted, total.returned, total.approved, total.draft) == (3, 1, 1, 1)


def test_risk_flags_link_to_return_with_comment_on_their_item(reviewed, kanagawa, chiyoda, ministry):
    page = login(kanagawa).get(f"/aggregation/rounds/{reviewed.pk}/risk/")
    link = f"/rounds/{reviewed.pk}/orgs/141500/review/?anchor=item%3A7-4#return-form"
    assert link in page.text.replace("&amp;", "&")
    assert link in login(ministry).get(f"/aggregation/rounds/{reviewed.pk}/risk/").text.replace("&amp;", "&")
