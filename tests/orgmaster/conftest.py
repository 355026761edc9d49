"""Builders for code lists in the shapes 総務省 publishes (made here, not downloaded)."""

import csv
import io

import pytest

# The published header cells break the line before the bracket.
MIC_HEADER = [
    "団体コード",
    "都道府県名\n（漢字）",
    "市区町村名\n（漢字）",
    "都道府県名\n（カナ）",
    "市区町村名\n（カナ）",
]

# Real rows of the 総務省 list (sheet 1), kana half-width as published.
MIC_ROWS = [
    ["010006", "北海道", "", "ﾎｯｶｲﾄﾞｳ", ""],
    ["011002", "北海道", "札幌市", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼ"],
    ["014231", "北海道", "南幌町", "ﾎｯｶｲﾄﾞｳ", "ﾅﾝﾎﾟﾛﾁｮｳ"],
    ["130001", "東京都", "", "ﾄｳｷｮｳﾄ", ""],
    ["131016", "東京都", "千代田区", "ﾄｳｷｮｳﾄ", "ﾁﾖﾀﾞｸ"],
    ["133817", "東京都", "三宅村", "ﾄｳｷｮｳﾄ", "ﾐﾔｹﾑﾗ"],
    ["140007", "神奈川県", "", "ｶﾅｶﾞﾜｹﾝ", ""],
    ["141500", "神奈川県", "相模原市", "ｶﾅｶﾞﾜｹﾝ", "ｻｶﾞﾐﾊﾗｼ"],
    ["142018", "神奈川県", "横須賀市", "ｶﾅｶﾞﾜｹﾝ", "ﾖｺｽｶｼ"],
    ["143839", "神奈川県", "真鶴町", "ｶﾅｶﾞﾜｹﾝ", "ﾏﾅﾂﾙﾏﾁ"],
]

# Sheet 2: a designated city and its wards.
MIC_DESIGNATED_ROWS = [
    ["141500", "神奈川県", "相模原市", "ｶﾅｶﾞﾜｹﾝ", "ｻｶﾞﾐﾊﾗｼ"],
    ["141518", "神奈川県", "相模原市緑区", "ｶﾅｶﾞﾜｹﾝ", "ｻｶﾞﾐﾊﾗｼﾐﾄﾞﾘｸ"],
    ["141526", "神奈川県", "相模原市中央区", "ｶﾅｶﾞﾜｹﾝ", "ｻｶﾞﾐﾊﾗｼﾁｭｳｵｳｸ"],
    ["141534", "神奈川県", "相模原市南区", "ｶﾅｶﾞﾜｹﾝ", "ｻｶﾞﾐﾊﾗｼﾐﾅﾐｸ"],
]


def make_xlsx(sheet1, sheet2=None, *, title_row=None, header=MIC_HEADER):
    """Bytes of a workbook shaped like the 総務省 file."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "R6.1.1現在の団体"
    if title_row:
        ws.append([title_row])
    ws.append(header)
    for row in sheet1:
        ws.append(row)
    if sheet2 is not None:
        ws2 = wb.create_sheet("R6.1.1政令指定都市")
        ws2.append(header)
        for row in sheet2:
            ws2.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def make_csv(rows, *, encoding="utf-8", header=MIC_HEADER):
    """Bytes of a CSV with the given header and rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


# Fixtures rather than imports, so the tests work under any pytest import mode.
@pytest.fixture
def mic_rows():
    return [list(r) for r in MIC_ROWS]


@pytest.fixture
def mic_designated_rows():
    return [list(r) for r in MIC_DESIGNATED_ROWS]


@pytest.fixture
def xlsx_bytes():
    return make_xlsx


@pytest.fixture
def csv_bytes():
    return make_csv
