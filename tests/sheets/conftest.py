"""Fixtures for the answer-sheet tests: private storage in a temporary folder, logged-in clients,
filled sheets made by the real writer (and edited with openpyxl when a test needs a person's edit).
"""
import io

import pytest

VALID_ANSWERS = {"1-1": "2", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}


def respondent_for(org, **changes):
    values = {
        "組織区分": org.section_label, "組織名": org.display_name, "担当部署名": "福祉部 生活福祉課",
        "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎", "連絡先氏名": "原 花子",
        "電話番号": "042-754-1111", "メールアドレス": "seikatsu@city.example.jp",
    }
    return {**values, **changes}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path, request):
    """Stored files go to a temporary folder (not for the real-worker test: the worker has its own settings).

    Also a fast password hasher: the cast's seven accounts cost seconds with Argon2.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if "real_celery" not in request.fixturenames:
        settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


def stored_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def login(client, user):
    from tests.cast import signed_in

    return signed_in(client, user)


@pytest.fixture
def complete_answers(round_, orgs):
    """A complete, valid answer set for a municipality (the engine decides what applies)."""
    import random

    from survey.synthetic import random_answers

    return random_answers(round_.survey.engine, "municipality", random.Random(3))


def sheet_for(round_, org, answers=None, respondent=None, **respondent_changes) -> bytes:
    """The sheet the portal writes for `org`, filled with `answers` (as an officer would fill it)."""
    from survey.models import RoundTarget
    from survey.services.sheets import answer_sheet_bytes, sheet_context
    from survey.workbook import write_answer_sheet

    target = RoundTarget.objects.select_related("round__survey", "organization").get(round=round_, organization=org)
    if answers is None and respondent is None and not respondent_changes:
        return answer_sheet_bytes(target)
    respondent = respondent or respondent_for(org, **respondent_changes)
    return write_answer_sheet(round_.survey.engine, context=sheet_context(target), answers=answers,
                              respondent=respondent)


def input_cell(data: bytes, label: str) -> str:
    """The address of the input cell right of `label` ("C23"), found with openpyxl."""
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            if str(cell.value or "").strip() == label:
                return f"C{cell.row}"
    raise AssertionError(f"label {label!r} not found in the sheet")


def edit_cell(data: bytes, label: str, value, *, as_text: bool = False) -> bytes:
    """Set the input cell right of `label` (a 項番 or a respondent label) with openpyxl, like a person.

    `as_text` keeps a value such as "=1+1" as text (a person typing '=1+1 in Excel).
    """
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            if str(cell.value or "").strip() == label:
                answer_col = 3  # C: the 回答 / input column of the written layout
                target = sheet.cell(row=cell.row, column=answer_col)
                target.value = value
                if as_text:
                    target.data_type = "s"
                out = io.BytesIO()
                book.save(out)
                return out.getvalue()
    raise AssertionError(f"label {label!r} not found in the sheet")
