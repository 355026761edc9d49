"""A bulk import reads its sheets outside any transaction.

On SQLite a transaction holds the database's one write lock from its start (immediate mode), so
an import that parsed a chunk of sheets inside its transaction kept every other save waiting for
that long. Only the saving of a chunk is transactional.
"""
import pytest
from django.db import connection
from sheets.conftest import VALID_ANSWERS, respondent_for, sheet_for

from survey.models import ResponseVersion
from survey.services.sheets import imports

pytestmark = pytest.mark.django_db(transaction=True)


def test_sheets_are_read_with_no_transaction_open(monkeypatch, round_, orgs, admin_user, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    read = imports.read_sheets
    seen = []

    def watched(*args, **kwargs):
        for item in read(*args, **kwargs):
            seen.append(connection.in_atomic_block)
            yield item

    monkeypatch.setattr(imports, "read_sheets", watched)
    files = [(code, f"{code}.xlsx", sheet_for(round_, orgs[code], VALID_ANSWERS, respondent_for(orgs[code])))
             for code in ("141500", "141003")]
    outcomes = dict(imports.sheets_import(files=files, round=round_, acting_user=admin_user))

    assert [o.status for o in outcomes.values()] == [imports.IMPORTED, imports.IMPORTED]
    assert ResponseVersion.objects.filter(source="bulk_import").count() == 2
    assert seen == [False, False]
