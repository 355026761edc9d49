"""The organisation record (a local government by 全国地方公共団体コード), its kinds, the
problems a code list can have, and the 6-digit code with its check digit. Pure Python (no Django).

Codes are 6 digits: the JIS X 0402 five-digit code plus a check digit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS = ("prefecture", "designated_city", "city", "special_ward", "town", "village")
KIND_LABELS = {
    "prefecture": "都道府県",
    "designated_city": "政令指定都市",
    "city": "市",
    "special_ward": "特別区",
    "town": "町",
    "village": "村",
}

_CHECK_WEIGHTS = (6, 5, 4, 3, 2)


@dataclass(frozen=True)
class OrgRecord:
    """One organisation. For a prefecture, ``name`` is the prefecture name (e.g. 東京都)."""

    code: str
    prefecture_code: str
    prefecture_name: str
    name: str
    kana: str
    kind: str

    @property
    def engine_kind(self) -> str:
        """The organisation kind the survey engine knows (its `org_kind`): "prefecture" or
        "municipality"; ``kind`` is the master's finer one. Same as Organization.engine_kind."""
        return "prefecture" if self.kind == "prefecture" else "municipality"


@dataclass(frozen=True)
class OrgIssue:
    """One problem found in a code list; ``row`` is the 1-based row in its sheet or file."""

    code: str
    message: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        where = f"シート「{self.sheet}」" if self.sheet else ""
        where += f"{self.row}行目" if self.row else ""
        return f"{where}: {self.message}" if where else self.message


class OrgListError(Exception):
    """Raised once with every problem found in a code list."""

    def __init__(self, errors: list[OrgIssue]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class MasterDiff:
    """What an incoming list changes in the stored master."""

    added: list[OrgRecord] = field(default_factory=list)
    renamed: list[tuple[OrgRecord, OrgRecord]] = field(default_factory=list)
    retired: list[OrgRecord] = field(default_factory=list)
    unchanged_count: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.renamed or self.retired)


# ---------------------------------------------------------------- codes and names


def check_digit(code5: str) -> str:
    """Return the 総務省 check digit for a five-digit JIS X 0402 code.

    Weights 6,5,4,3,2; the digit is the last digit of 11 - (sum mod 11), so a remainder of
    0 gives 1 (01213 苫小牧市 -> 012131) and a remainder of 1 gives 0 (01205 室蘭市 -> 012050).
    """
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise ValueError(f"five ASCII digits expected, got {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, _CHECK_WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def is_valid_code(code6: str) -> bool:
    """True if ``code6`` is six digits with a correct check digit and a prefecture 01-47."""
    if not isinstance(code6, str) or len(code6) != 6 or not code6.isascii() or not code6.isdigit():
        return False
    return 1 <= int(code6[:2]) <= 47 and check_digit(code6[:5]) == code6[5]


def display_name(record: OrgRecord) -> str:
    """The survey's 組織名: '14神奈川県相模原市', or '13東京都' for a prefecture."""
    if record.kind == "prefecture":
        return f"{record.prefecture_code}{record.prefecture_name}"
    return f"{record.prefecture_code}{record.prefecture_name}{record.name}"


def index_by_display_name(records: Iterable[OrgRecord]) -> dict[str, OrgRecord]:
    """Map 組織名 -> record, to match a workbook that only carries the name."""
    return {display_name(r): r for r in records}
