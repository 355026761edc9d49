"""Reading the 総務省 code list (xlsx and CSV) and our organizations.csv."""

import pytest

from survey.orgmaster import MASTER_CSV, MASTER_HEADER, OrgListError, load_master, parse_code_list
from survey.orgmaster import parse as orgmaster_parse


def _by_code(records):
    return {r.code: r for r in records}


def _error_codes(exc_info):
    return [e.code for e in exc_info.value.errors]


# ---------------------------------------------------------------- xlsx


def test_xlsx_in_the_ministry_shape_gives_records_with_kinds(xlsx_bytes, mic_rows, mic_designated_rows):
    records = _by_code(parse_code_list(xlsx_bytes(mic_rows, mic_designated_rows), "000925835.xlsx"))
    assert len(records) == len(mic_rows)
    assert records["130001"].kind == "prefecture"
    assert records["130001"].name == "東京都"
    assert records["130001"].kana == "トウキョウト"
    assert records["011002"].kind == "designated_city"
    assert records["141500"].kind == "designated_city"
    assert records["131016"].kind == "special_ward"
    assert records["142018"].kind == "city"
    assert records["014231"].kind == "town"
    assert records["133817"].kind == "village"
    assert records["141500"].kana == "サガミハラシ"  # half-width kana made full-width
    assert records["141500"].prefecture_code == "14"


def test_xlsx_wards_in_sheet_1_are_skipped(xlsx_bytes, mic_rows, mic_designated_rows):
    records = parse_code_list(xlsx_bytes(mic_rows + mic_designated_rows[1:]), "list.xlsx")
    assert {r.code for r in records} == {row[0] for row in mic_rows}


def test_xlsx_title_row_above_header_and_numeric_code_cell(xlsx_bytes, mic_rows):
    mic_rows[0][0] = 10006  # Excel keeps 010006 as a number when the cell is not text
    records = _by_code(
        parse_code_list(xlsx_bytes(mic_rows, title_row="都道府県コード及び市区町村コード"), "list.xlsx")
    )
    assert records["010006"].kind == "prefecture"


def test_xlsx_designated_city_known_from_sheet_2(monkeypatch, xlsx_bytes, mic_rows, mic_designated_rows):
    monkeypatch.setattr(orgmaster_parse, "DESIGNATED_CITY_CODES", frozenset())
    records = _by_code(parse_code_list(xlsx_bytes(mic_rows, mic_designated_rows), "list.xlsx"))
    assert records["141500"].kind == "designated_city"
    assert records["011002"].kind == "city"  # neither in sheet 2 nor shown with wards


def test_xlsx_bad_check_digit_reported_with_sheet_and_row(xlsx_bytes, mic_rows, mic_designated_rows):
    mic_rows[7][0] = "141501"  # 相模原市 with a wrong check digit; header is row 1
    mic_designated_rows[2][0] = "141527"
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(xlsx_bytes(mic_rows, mic_designated_rows), "list.xlsx")
    errors = {(e.sheet, e.row): e for e in exc_info.value.errors}
    assert set(errors) == {("R6.1.1現在の団体", 9), ("R6.1.1政令指定都市", 4)}
    first = errors[("R6.1.1現在の団体", 9)]
    assert first.code == "bad_check_digit"
    assert "141500" in first.message and "検査数字" in first.message
    assert "9行目" in str(first)


def test_broken_xlsx_is_reported(xlsx_bytes):
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(b"PK\x03\x04 not really a workbook", "list.xlsx")
    assert _error_codes(exc_info) == ["unreadable_file"]


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16"])
def test_csv_in_every_encoding_gives_the_same_records(encoding, csv_bytes, xlsx_bytes, mic_rows):
    from_csv = parse_code_list(csv_bytes(mic_rows, encoding=encoding), "list.csv")
    from_xlsx = parse_code_list(xlsx_bytes(mic_rows), "list.xlsx")
    assert from_csv == from_xlsx


def test_csv_with_one_line_header_labels_and_wards(csv_bytes, mic_rows, mic_designated_rows):
    header = [
        "団体コード",
        "都道府県名（漢字）",
        "市区町村名（漢字）",
        "都道府県名（カナ）",
        "市区町村名（カナ）",
    ]
    records = parse_code_list(csv_bytes(mic_rows + mic_designated_rows[1:], header=header), "list.csv")
    assert len(records) == len(mic_rows)


def test_csv_columns_found_by_label_not_position(csv_bytes, mic_rows):
    order = [2, 4, 0, 1, 3]
    header = [
        [
            "団体コード",
            "都道府県名（漢字）",
            "市区町村名（漢字）",
            "都道府県名（カナ）",
            "市区町村名（カナ）",
        ][i]
        for i in order
    ]
    records = _by_code(
        parse_code_list(csv_bytes([[r[i] for i in order] for r in mic_rows], header=header), "list.csv")
    )
    assert records["141500"].name == "相模原市"
    assert records["141500"].kana == "サガミハラシ"


def test_designated_city_inferred_from_its_wards(monkeypatch, csv_bytes, mic_rows, mic_designated_rows):
    monkeypatch.setattr(orgmaster_parse, "DESIGNATED_CITY_CODES", frozenset())
    records = _by_code(parse_code_list(csv_bytes(mic_rows + mic_designated_rows[1:]), "list.csv"))
    assert records["141500"].kind == "designated_city"
    assert "141518" not in records


def test_csv_collects_every_error_with_row_numbers(csv_bytes, mic_rows):
    rows = mic_rows + [
        ["141501", "神奈川県", "どこか市", "", ""],  # row 12: bad check digit
        ["141500", "神奈川県", "相模原市", "", ""],  # row 13: duplicate of row 9
        ["14201", "神奈川県", "横須賀市", "", ""],  # row 14: JIS code without its check digit
        ["142026", "", "平塚市", "", ""],  # row 15: no prefecture name
        ["142034", "神奈川県", "", "", ""],  # row 16: no municipality name
        ["142042", "神奈川県", "鎌倉区", "", ""],  # row 17: 区 outside Tokyo and not a ward
    ]
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(csv_bytes(rows), "list.csv")
    found = [(e.row, e.code) for e in exc_info.value.errors]
    assert found == [
        (12, "bad_check_digit"),
        (13, "duplicate_code"),
        (14, "bad_code_format"),
        (15, "missing_prefecture_name"),
        (16, "missing_name"),
        (17, "unknown_kind"),
    ]
    assert "9行目" in exc_info.value.errors[1].message
    assert all(e.message for e in exc_info.value.errors)


def test_csv_missing_columns_are_all_reported(csv_bytes):
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(csv_bytes([["141500", "相模原市"]], header=["団体コード", "名称"]), "list.csv")
    assert _error_codes(exc_info) == ["missing_column", "missing_column"]
    assert {e.column for e in exc_info.value.errors} == {"prefecture_name", "name"}


def test_csv_without_code_column(csv_bytes):
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(csv_bytes([["a", "b"]], header=["x", "y"]), "list.csv")
    assert _error_codes(exc_info) == ["missing_column"]
    assert "団体コード" in exc_info.value.errors[0].message


def test_csv_in_an_unknown_encoding():
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(b"\x81\x20\x81\x20,\x82\x20\n", "list.csv")
    assert _error_codes(exc_info) == ["unknown_encoding"]


def test_unsupported_file_type():
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(b"\xd0\xcf\x11\xe0", "list.xls")
    assert _error_codes(exc_info) == ["unsupported_format"]


def test_empty_list(csv_bytes):
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(csv_bytes([]), "list.csv")
    assert _error_codes(exc_info) == ["no_rows"]


# ---------------------------------------------------------------- our format


def test_our_master_csv_round_trips(tmp_path):
    records = load_master()
    assert parse_code_list(MASTER_CSV) == records
    copy = tmp_path / "copy.csv"
    copy.write_bytes(MASTER_CSV.read_bytes())
    assert parse_code_list(str(copy)) == records


def test_our_format_rejects_an_unknown_kind(csv_bytes):
    rows = [
        ["141500", "14", "神奈川県", "相模原市", "サガミハラシ", "metropolis"],
        ["140007", "14", "神奈川県", "神奈川県", "カナガワケン", "city"],
    ]
    with pytest.raises(OrgListError) as exc_info:
        parse_code_list(csv_bytes(rows, header=list(MASTER_HEADER)), "organizations.csv")
    assert [(e.row, e.code) for e in exc_info.value.errors] == [(2, "bad_kind"), (3, "bad_kind")]
