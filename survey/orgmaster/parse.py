"""Reading the 総務省 code list in its published shapes (xlsx with the designated-city sheet,
CSV in UTF-8 or Shift_JIS) and our own ``survey/data/organizations.csv``: validates codes and
infers the organisation kind. Pure Python (no Django).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from survey.orgmaster.records import KINDS, OrgIssue, OrgListError, OrgRecord, check_digit, is_valid_code

MASTER_HEADER = ("code", "prefecture_code", "prefecture_name", "name", "kana", "kind")
MASTER_CSV = Path(__file__).resolve().parent.parent / "data" / "organizations.csv"

# The 20 政令指定都市 (unchanged since 熊本市 in 2012). A list that ships the designated-city
# sheet, or that lists a city's wards, extends this set; a CSV of sheet 1 alone relies on it.
# fmt: off
DESIGNATED_CITIES = {
    "011002": "札幌市", "041009": "仙台市", "111007": "さいたま市", "121002": "千葉市",
    "141003": "横浜市", "141305": "川崎市", "141500": "相模原市", "151009": "新潟市",
    "221007": "静岡市", "221309": "浜松市", "231002": "名古屋市", "261009": "京都市",
    "271004": "大阪市", "271403": "堺市", "281000": "神戸市", "331007": "岡山市",
    "341002": "広島市", "401005": "北九州市", "401307": "福岡市", "431001": "熊本市",
}
# fmt: on
DESIGNATED_CITY_CODES = frozenset(DESIGNATED_CITIES)

_WARD_NAME = re.compile(r"^(?P<city>.+?市)(?P<ward>.+区)$")

# Header labels, compared after _label() (NFKC, no whitespace, lower case), so the published
# "都道府県名\n（漢字）" matches "都道府県名(漢字)".
_COLUMNS = {
    "code": ("団体コード", "全国地方公共団体コード", "code"),
    "prefecture_name": ("都道府県名(漢字)", "都道府県名", "prefecture_name"),
    "name": ("市区町村名(漢字)", "市区町村名", "name"),
    "prefecture_kana": ("都道府県名(カナ)",),
    "kana": ("市区町村名(カナ)", "kana"),
    "kind": ("kind",),
}
_REQUIRED = {"sheet1": ("code", "prefecture_name", "name"), "sheet2": ("code", "name")}
_COLUMN_TITLES = {"code": "団体コード", "prefecture_name": "都道府県名（漢字）", "name": "市区町村名（漢字）"}


def load_master(path: str | os.PathLike | None = None) -> list[OrgRecord]:
    """Read our organizations.csv (the bundled one by default)."""
    return parse_code_list(Path(path) if path else MASTER_CSV)


@dataclass
class _Table:
    sheet: str | None
    rows: list[tuple[int, list[str]]]


def parse_code_list(source: str | os.PathLike | bytes, filename: str | None = None) -> list[OrgRecord]:
    """Parse a 総務省 code list (xlsx or CSV) or our organizations.csv into records.

    ``source`` is a path or the file's bytes; ``filename`` (needed for bytes) picks the format
    by its extension. Wards of designated cities are skipped. Every problem is collected and
    raised together as ``OrgListError``.
    """
    if not isinstance(source, bytes | bytearray):
        filename = filename or os.fspath(source)
        source = Path(source).read_bytes()
    ext = Path(filename or "").suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        tables = _read_xlsx(bytes(source))
    elif ext in (".csv", ".txt"):
        tables = [_Table(None, _read_csv(bytes(source)))]
    else:
        raise OrgListError(
            [
                OrgIssue(
                    "unsupported_format",
                    "対応していないファイル形式です。xlsx または csv を指定してください。",
                )
            ]
        )
    return _records_from_tables(tables)


def _read_xlsx(data: bytes) -> list[_Table]:
    """Sheet 1 (the list) and, when present, sheet 2 (designated cities and their wards)."""
    import openpyxl  # imported here so the CSV path works without openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise OrgListError(
            [OrgIssue("unreadable_file", f"Excel ファイルとして読み込めません（{type(exc).__name__}）。")]
        ) from exc
    try:
        return [
            _Table(
                ws.title,
                [
                    (i, [_cell(v) for v in row])
                    for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                ],
            )
            for ws in wb.worksheets[:2]
        ]
    finally:
        wb.close()


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    return [(i, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or Shift_JIS (cp932, Excel's default)."""
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp932")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OrgListError(
        [
            OrgIssue(
                "unknown_encoding", "文字コードを判別できません。UTF-8 または Shift_JIS で保存してください。"
            )
        ]
    )


def _cell(value: object) -> str:
    """Cell text; a numeric code cell (Excel drops the leading zero) becomes digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _label(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _find_header(table: _Table) -> tuple[int, dict[str, int]] | None:
    """Locate the header row (title rows may precede it) and map field -> column index."""
    for index, (_, cells) in enumerate(table.rows[:20]):
        labels = [_label(c) for c in cells]
        if not any(alias in labels for alias in _COLUMNS["code"]):
            continue
        columns = {}
        for fld, aliases in _COLUMNS.items():
            hit = next((i for i, lab in enumerate(labels) if lab in aliases), None)
            if hit is not None:
                columns[fld] = hit
        return index, columns
    return None


def _records_from_tables(tables: list[_Table]) -> list[OrgRecord]:
    errors: list[OrgIssue] = []
    designated, wards = _designated_sheet(tables[1], errors) if len(tables) > 1 else (set(), set())
    rows = list(_data_rows(tables[0], "sheet1", errors))
    designated |= DESIGNATED_CITY_CODES | _cities_with_wards(rows)
    records: list[OrgRecord] = []
    seen: dict[str, int] = {}
    for row_no, fields in rows:
        record = _record(row_no, fields, designated, wards, tables[0].sheet, errors, seen)
        if record:
            records.append(record)
    if not records and not errors:
        errors.append(OrgIssue("no_rows", "データ行がありません。", sheet=tables[0].sheet))
    if errors:
        raise OrgListError(errors)
    return sorted(records, key=lambda r: r.code)


def _data_rows(table: _Table, which: str, errors: list[OrgIssue]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, {field: text}) for each non-blank row under the header."""
    found = _find_header(table)
    if found is None:
        errors.append(OrgIssue("missing_column", "「団体コード」の列が見つかりません。", sheet=table.sheet))
        return
    header_index, columns = found
    missing = [f for f in _REQUIRED[which] if f not in columns]
    for fld in missing:
        errors.append(
            OrgIssue(
                "missing_column",
                f"「{_COLUMN_TITLES[fld]}」の列が見つかりません。",
                row=table.rows[header_index][0],
                column=fld,
                sheet=table.sheet,
            )
        )
    if missing:
        return
    for row_no, cells in table.rows[header_index + 1 :]:
        fields = {f: (cells[i] if i < len(cells) else "") for f, i in columns.items()}
        if any(fields.values()):
            yield row_no, fields


def _designated_sheet(table: _Table, errors: list[OrgIssue]) -> tuple[set[str], set[str]]:
    """Codes of designated cities and of their wards from the 政令指定都市 sheet."""
    if _find_header(table) is None:  # a second sheet of another kind: ignore it
        return set(), set()
    cities, wards = set(), set()
    for row_no, fields in _data_rows(table, "sheet2", errors):
        code = _normal_code(fields["code"])
        problem = _code_problem(code)
        if problem:
            errors.append(OrgIssue(problem[0], problem[1], row=row_no, column="code", sheet=table.sheet))
        elif fields["name"].endswith("区"):
            wards.add(code)
        elif fields["name"].endswith("市"):
            cities.add(code)
    return cities, wards


def _cities_with_wards(rows: list[tuple[int, dict[str, str]]]) -> set[str]:
    """Codes of cities that the list itself shows with wards: those are designated cities."""
    by_name = {(f["prefecture_name"], f["name"]): _normal_code(f["code"]) for _, f in rows}
    found = set()
    for _, f in rows:
        match = _WARD_NAME.match(f["name"])
        code = by_name.get((f["prefecture_name"], match.group("city"))) if match else None
        if code:
            found.add(code)
    return found


def _normal_code(text: str) -> str:
    digits = unicodedata.normalize("NFKC", text).strip()
    # Excel stores 010006 as the number 10006; restore the leading zero, but only when that
    # gives a valid code, so a five-digit JIS code missing its check digit is reported as such.
    if len(digits) == 5 and is_valid_code(digits.zfill(6)):
        return digits.zfill(6)
    return digits


def _code_problem(code: str) -> tuple[str, str] | None:
    if not code:
        return "empty_code", "団体コードが空です。"
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "bad_code_format", f"団体コード「{code}」は6桁の数字ではありません。"
    if not 1 <= int(code[:2]) <= 47:
        return (
            "bad_prefecture_code",
            f"団体コード「{code}」の都道府県コード「{code[:2]}」は 01〜47 ではありません。",
        )
    expected = check_digit(code[:5])
    if code[5] != expected:
        return (
            "bad_check_digit",
            f"団体コード「{code}」の検査数字が正しくありません（正しくは「{code[:5]}{expected}」）。",
        )
    return None


def _record(row_no, fields, designated, wards, sheet, errors, seen) -> OrgRecord | None:
    """Build one record, or None for a ward row or a row with errors (appended to errors)."""
    code = _normal_code(fields["code"])
    pref_name = fields["prefecture_name"].replace("\u3000", "").strip()
    name = fields["name"].replace("\u3000", "").strip()

    def fail(code_: str, message: str, column: str | None = None) -> None:
        errors.append(OrgIssue(code_, message, row=row_no, column=column, sheet=sheet))

    problem = _code_problem(code)
    if problem:
        fail(*problem, column="code")
        return None
    if code in wards or (_WARD_NAME.match(name) and code[:2] != "13"):
        return None  # a ward (行政区) of a designated city is not an organisation here
    if code in seen:
        fail("duplicate_code", f"団体コード「{code}」が重複しています（{seen[code]}行目と同じ）。", "code")
        return None
    seen[code] = row_no
    if not pref_name:
        fail("missing_prefecture_name", "都道府県名が空です。", "prefecture_name")
        return None
    is_prefecture = code[2:5] == "000"
    if is_prefecture and name not in ("", pref_name):
        fail("prefecture_row_has_name", f"都道府県の行（{code}）に市区町村名「{name}」があります。", "name")
        return None
    if not is_prefecture and not name:
        fail("missing_name", "市区町村名が空です。", "name")
        return None
    kind = _kind(code, name if not is_prefecture else "", designated, fields.get("kind", ""), fail)
    if kind is None:
        return None
    kana_source = fields.get("kana", "") or (fields.get("prefecture_kana", "") if is_prefecture else "")
    return OrgRecord(
        code=code,
        prefecture_code=code[:2],
        prefecture_name=pref_name,
        name=pref_name if is_prefecture else name,
        kana=_kana(kana_source),
        kind=kind,
    )


def _kind(code, name, designated, declared, fail) -> str | None:
    """The declared kind when given (our CSV), else inferred from the code and the name."""
    inferred = _infer_kind(code, name, designated)
    if declared:
        if declared not in KINDS:
            fail("bad_kind", f"種別「{declared}」は不正です（{', '.join(KINDS)} のいずれか）。", "kind")
            return None
        if (declared == "prefecture") != (inferred == "prefecture"):
            fail("bad_kind", f"種別「{declared}」が団体コード「{code}」と合いません。", "kind")
            return None
        return declared
    if inferred is None:
        fail("unknown_kind", f"「{name}」の種別（市・町・村・特別区）を判定できません。", "name")
    return inferred


def _infer_kind(code: str, name: str, designated: set[str] | frozenset[str]) -> str | None:
    if not name:
        return "prefecture"
    if code in designated:
        return "designated_city"
    if code.startswith("131") and name.endswith("区"):
        return "special_ward"
    return {"市": "city", "町": "town", "村": "village"}.get(name[-1])


def _kana(text: str) -> str:
    """Full-width katakana: the 総務省 list uses half-width kana (ｻｯﾎﾟﾛｼ -> サッポロシ)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
