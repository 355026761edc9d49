"""Organisation master: Japanese local governments by 全国地方公共団体コード. Pure Python (no Django).

- ``records``: the organisation record, its kinds, code-list problems, codes and check digits;
- ``parse``: reading the 総務省 code list and our ``survey/data/organizations.csv``;
- ``diff``: comparing a new list with the stored master;
- ``names``: matching 組織名 as people write it (``OrgNameIndex``, ``NameMatch``).

Applying a list to the database is ``survey.services.organizations``, not here.
"""

from survey.orgmaster.diff import diff_master
from survey.orgmaster.names import NameMatch, OrgNameIndex, fold_name
from survey.orgmaster.parse import (
    DESIGNATED_CITIES,
    DESIGNATED_CITY_CODES,
    MASTER_CSV,
    MASTER_HEADER,
    load_master,
    parse_code_list,
)
from survey.orgmaster.records import (
    KIND_LABELS,
    KINDS,
    MasterDiff,
    OrgIssue,
    OrgListError,
    OrgRecord,
    check_digit,
    display_name,
    index_by_display_name,
    is_valid_code,
)

__all__ = [
    "DESIGNATED_CITIES",
    "DESIGNATED_CITY_CODES",
    "KINDS",
    "KIND_LABELS",
    "MASTER_CSV",
    "MASTER_HEADER",
    "MasterDiff",
    "NameMatch",
    "OrgIssue",
    "OrgListError",
    "OrgNameIndex",
    "OrgRecord",
    "check_digit",
    "diff_master",
    "display_name",
    "fold_name",
    "index_by_display_name",
    "is_valid_code",
    "load_master",
    "parse_code_list",
]
