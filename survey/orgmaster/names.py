"""組織名 as people write it: matching a written name against the master (`OrgNameIndex`,
`NameMatch`). Pure Python (no Django)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from survey.orgmaster.records import OrgRecord, display_name

# Spellings that name the same place: the small ケ/ヶ/が of place names, and old or variant
# kanji (異体字) that people type for a name the master writes otherwise. Applied to both
# sides, so a master in either spelling matches; a pair that would merge two organisations
# shows up as an ambiguity, never as a wrong match.
_VARIANTS = str.maketrans({
    "ヶ": "ケ", "ヵ": "ケ", "ｹ": "ケ", "が": "ケ", "ガ": "ケ", "ゕ": "ケ", "ゖ": "ケ",
    "檮": "梼", "桧": "檜", "竜": "龍", "澤": "沢", "邊": "辺", "邉": "辺", "齋": "斎", "齊": "斉",
    "嶋": "島", "嶌": "島", "﨑": "崎", "嵜": "崎", "碕": "崎", "髙": "高", "德": "徳", "淵": "渕",
    "篭": "籠", "鯵": "鰺", "舘": "館", "條": "条", "榮": "栄", "國": "国", "廣": "広", "濱": "浜",
    "惠": "恵", "櫻": "桜", "劍": "剣", "會": "会", "萬": "万", "冨": "富", "峯": "峰", "槇": "槙",
    "眞": "真", "靜": "静", "縣": "県", "關": "関", "驛": "駅", "藏": "蔵", "樂": "楽", "壽": "寿",
})
_PREF_SUFFIX = re.compile(r"(都|道|府|県)$")
_COUNTY = re.compile(r"^(?P<county>.+?郡)(?P<name>.+[町村])$")


@dataclass(frozen=True)
class NameMatch:
    """What a written 組織名 names: `code` when exactly one organisation fits.

    `exact` when it was written exactly as the master's 組織名 (`display`); `candidates`
    (display names) when several fit, or, when none fits, the organisations of that name in
    other prefectures; `notes` say what was read differently (for the warning).
    """

    code: str | None = None
    display: str | None = None
    exact: bool = False
    candidates: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    ambiguous: bool = False
    candidate_codes: tuple[str, ...] = ()


def fold_name(text: str) -> str:
    """Comparison key of a written name: NFKC (full-width digits, spaces), no spaces, variant
    spellings folded (ヶ/ケ/が, 異体字)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).translate(_VARIANTS)


class OrgNameIndex:
    """Matches 組織名 as people write it against the master (pure; plain data inside)."""

    def __init__(self, records: Iterable[OrgRecord], inactive: Iterable[str] = ()):
        self.records = {r.code: r for r in records}
        self.inactive = frozenset(inactive)
        self.exact = {}
        for r in sorted(self.records.values(), key=lambda r: (r.code in self.inactive, r.code)):
            self.exact.setdefault(display_name(r), r.code)
        self.prefectures: dict[str, OrgRecord] = {}
        self.by_name: dict[str, list[OrgRecord]] = {}
        for r in self.records.values():
            if r.kind == "prefecture":
                self.prefectures[fold_name(r.prefecture_name)] = r
                self.prefectures.setdefault(fold_name(_PREF_SUFFIX.sub("", r.prefecture_name)), r)
            else:
                self.by_name.setdefault(fold_name(r.name), []).append(r)

    def match(self, written: str | None) -> NameMatch:
        """The organisation `written` names (see NameMatch)."""
        text = str(written or "").strip()
        if not text:
            return NameMatch()
        if text in self.exact:
            code = self.exact[text]
            return NameMatch(code=code, display=display_name(self.records[code]), exact=True)
        key = fold_name(text)
        digits = re.match(r"^\d{1,2}", key)
        code_given = digits.group().zfill(2) if digits else None
        rest = key[digits.end():] if digits else key
        found: dict[str, OrgRecord] = {}
        others: dict[str, OrgRecord] = {}
        for pref, name in self._splits(rest):
            for r in self._named(pref, name):
                found[r.code] = r
            if pref is not None and name:
                for r in self.by_name.get(name, []):
                    others[r.code] = r
        return self._decide(text, list(found.values()), list(others.values()), code_given)

    def _splits(self, rest: str) -> Iterator[tuple[OrgRecord | None, str]]:
        """(prefecture or None, municipality part) readings of the text after the code."""
        yield None, rest
        for size in (4, 3, 2):
            pref = self.prefectures.get(rest[:size])
            if pref is not None:
                yield pref, rest[size:]

    def _named(self, pref: OrgRecord | None, name: str) -> list[OrgRecord]:
        if not name:
            return [pref] if pref is not None else []
        names = [name]
        county = _COUNTY.match(name)
        if county:
            names.append(county.group("name"))
        hits = [r for n in names for r in self.by_name.get(n, [])]
        return [r for r in hits if pref is None or r.prefecture_code == pref.prefecture_code]

    def _decide(self, text: str, found: list[OrgRecord], others: list[OrgRecord], code_given) -> NameMatch:
        if len(found) > 1 and code_given:
            by_code = [r for r in found if r.prefecture_code == code_given]
            found = by_code or found
        if len(found) > 1:
            active = [r for r in found if r.code not in self.inactive]
            found = active or found
        if len(found) == 1:
            r = found[0]
            notes = ()
            if code_given and code_given != r.prefecture_code:
                notes = (f"都道府県コード「{code_given}」を「{r.prefecture_code}」に訂正",)
            return NameMatch(code=r.code, display=display_name(r), exact=False, notes=notes)
        pool = sorted(found or [r for r in others if r.code not in self.inactive] or others, key=display_name)
        return NameMatch(candidates=tuple(display_name(r) for r in pool), ambiguous=len(found) > 1,
                         candidate_codes=tuple(r.code for r in pool))
