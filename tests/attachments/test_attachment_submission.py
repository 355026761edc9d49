"""An attached file stands in for a required outline, and each version records the files it counted."""
import pytest

from survey.models import ResponseStatus
from tests.answering.conftest import confirm_url, edit_url, questionnaire_post
from tests.attachments.conftest import PDF, RESPONDENT, add, login, save, target_of

pytestmark = pytest.mark.django_db

CASE_WITHOUT_TEXT = {"1-1": "2", "2": "1", "3": "2", "6": ["1"], "7-1": "1", "7-2": "2", "9": "1", "10": "2"}


def test_q10_case_with_an_attached_outline_and_no_text_can_be_submitted(round_, sagamihara):
    client = login(sagamihara)
    save(round_, "141500", sagamihara, CASE_WITHOUT_TEXT)
    assert "概要" in client.get(confirm_url(round_)).content.decode()  # still required: nothing attached
    add(round_, sagamihara, "事例の概要.pdf", PDF, purpose="followup", key="10:概要")
    page = client.get(confirm_url(round_))
    assert 'data-testid="error-summary"' not in page.content.decode()
    assert "事例の概要.pdf" in page.content.decode()
    response = client.post(confirm_url(round_), {"base_revision": "1"})
    assert response.status_code == 302
    target = target_of(round_, "141500")
    resp = target.organization.responses.get(round=round_)
    assert resp.status == ResponseStatus.SUBMITTED
    assert [a.original_name for a in resp.submitted_version.attachments.all()] == ["事例の概要.pdf"]


def test_without_text_or_file_the_outline_is_required(round_, sagamihara):
    from survey.services.responses import ResponseInvalid

    with pytest.raises(ResponseInvalid) as exc:
        save(round_, "141500", sagamihara, CASE_WITHOUT_TEXT, submit=True)
    assert any(i.item == "10:概要" for i in exc.value.issues)


def test_a_file_for_another_follow_up_does_not_count(round_, sagamihara):
    from survey.services.responses import ResponseInvalid

    add(round_, sagamihara, "別途の方法.pdf", PDF, purpose="followup", key="8-1:概要")
    add(round_, sagamihara, "要領.pdf", PDF + b"1")
    with pytest.raises(ResponseInvalid):
        save(round_, "141500", sagamihara, CASE_WITHOUT_TEXT, submit=True)


def test_indicator_on_the_edit_page_counts_the_file(round_, sagamihara):
    client = login(sagamihara)
    save(round_, "141500", sagamihara, CASE_WITHOUT_TEXT)
    assert 'data-indicator="unanswered" data-on="未回答あり" data-off="調査項目：すべて回答済み">未回答あり' in \
        client.get(edit_url(round_)).content.decode()
    add(round_, sagamihara, "概要.pdf", PDF, purpose="followup", key="10:概要")
    body = client.get(edit_url(round_)).content.decode()
    assert ">調査項目：すべて回答済み</span>" in body
    response = client.post(edit_url(round_), questionnaire_post(round_, "141500", CASE_WITHOUT_TEXT, RESPONDENT, 1,
                                                                action="to_confirm"))
    assert response.status_code == 302 and response.url.endswith("/confirm/")


def test_versions_keep_the_files_they_counted_after_removal(round_, sagamihara):
    from survey.services.attachments import attachment_remove

    a = add(round_, sagamihara, "概要.pdf", PDF, purpose="followup", key="10:概要")
    submitted = save(round_, "141500", sagamihara, CASE_WITHOUT_TEXT, submit=True).version
    attachment_remove(target=target_of(round_, "141500"), attachment=a, acting_user=sagamihara)
    draft = save(round_, "141500", sagamihara, {**CASE_WITHOUT_TEXT, "10:概要": "文章で記載"}).version
    assert list(submitted.attachments.all()) == [a]
    assert list(draft.attachments.all()) == []
    body = login(sagamihara).get(f"/rounds/{round_.pk}/orgs/141500/").content.decode()
    assert "概要.pdf" in body and "添付が取り消されました" in body
