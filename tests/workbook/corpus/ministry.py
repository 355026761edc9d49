"""The ministry's 別添2 調査項目回答様式, typed in from the seed and answer-sheet.md, built cell by
cell with openpyxl. Nothing here comes from survey/ (not the writer, not the definition): the
texts below are copied from the seed, so a corpus sheet is what another hand would make.

`build(layout, fill)` returns the .xlsx bytes and where each input cell ended up.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import openpyxl
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter

TITLE = "マイナンバー情報連携関係実態調査 調査項目回答シート"

# (label, guidance) of the 回答者情報 rows, as 別添2 prints them.
RESPONDENT = [
    ("制度等", "◆リストから選択(厚労省で入力)"),
    ("組織区分", "◆リストから選択"),
    ("属性", "◆マイナポータル閲覧対象事務において、同制度内に、マイナンバーと紐付ける管理情報が複数ある場合等(厚労省で入力)"),
    ("組織名", "◆入力 ※自治体の場合は都道府県コード・都道府県名・市区町村名を空白を入れず入力。郡名は省略。(例:14神奈川県相模原市)"),
    ("担当部署名", "◆入力"),
    ("回答責任者役職", "◆入力 ※課長級以上の役職の方が回答責任者となり、回答内容に担当者ごとのバラつきがないようにお願いいたします。"),
    ("回答責任者氏名", "◆入力"),
    ("連絡先氏名", "◆入力 ※不明点がある場合の問い合わせ先の記入をお願いいたします。"),
    ("電話番号", "◆入力"),
    ("メールアドレス", "◆入力"),
]
SCHEME = "職業転換給付金制度（訓練手当）関係事務"


@dataclass(frozen=True)
class Item:
    no: str
    question: str
    options: tuple[str, ...]  # each starting with its circled digit, as the drop-down shows them
    marks: bool = False
    followup: str | None = None  # the prompt of its follow-up row, when it has one


ITEMS = [
    Item("1-1", "(市町村の場合のみ回答) 当該団体の住民(住民基本台帳に記載されている者)について、各業務システムについて、"
         "住基システム又は宛名管理システムとの自動連携によりマイナンバーを取得する機能を導入しているか。",
         ("①該当の機能を導入している（Q2以降は上記以外の者（住登外者等）に対する調査としてご回答ください。）。",
          "②上記機能を導入していない（業務システムを導入していない場合を含む。）。")),
    Item("1-2", "(都道府県の場合のみ回答) 当該団体の住民(都道府県内の市町村の住民基本台帳に記載されている者)について、"
         "各業務システムについて、住基ネットの都道府県サーバーとの自動連携(※)によりマイナンバーを取得する機能を導入しているか。",
         ("①該当の機能を導入している（Q2以降は上記以外の者に対する調査としてご回答ください。）。",
          "②上記機能を導入していない（業務システムを導入していない場合を含む。）。")),
    Item("2", "マイナポータル閲覧対象事務に係る紐付け業務に関するマニュアルを定めているか。",
         ("①定めている。", "②定めていない。", "③定める予定である（ 年 月）。",
          "④定めていないが、制度所管省庁の紐付け業務に関するマニュアル・ガイドライン（事務処理要領）等がある。"),
         followup="③を選択の場合、予定年月を記載してください。"),
    Item("3", "各種申請において申請者よりマイナンバーの記載又は提示を求めているか。",
         ("①求めている。", "②求めていない。（Q6へ）")),
    Item("4", "本人以外(事業主等)からマイナンバーを得ている場合、どのように確認しているか。",
         ("①事業主等から提出された場合でも、J-LIS 照会等によりマイナンバーを確認している又は本人から提出された"
          "マイナンバーを事業主等が確認書類により確認している。",
          "②確認していない（事業主等がマイナンバーを確認書類による確認を求めている場合も含む。）。",
          "③本人以外（事業主等）からの届出は無い。")),
    Item("5", "マイナポータル閲覧対象事務に係る紐付け業務を行う際、当該事務に係る対象者又は他の行政機関・部署から、"
         "マイナンバー確認書類・データ(マイナンバー記載の住民票、マイナンバーカード、通知カード+本人確認書類)に基づき、"
         "マイナンバーを取得しているか。",
         ("①必ず上記方法により取得しており、確認書類が揃わないこと等によりマイナンバーを取得できない場合は紐付けない。（Q10 へ）",
          "②①以外の方法により取得している。")),
    Item("6", "マイナンバーの記載がない場合又は提出がない場合、どのように対応しているか。 (該当箇所全てに「○」を入れてください)",
         ("①住基ネットの利用(J-LIS照会)により確認している。", "②組織内の住基システム等により確認している。"), marks=True),
    Item("7-1", "住民票等記載の氏名・生年月日・性別・住所(住民票等の記載内容と完全一致(※)している場合に限る。以下同じ)全部の情報により、"
         "住基ネットの利用(J-LIS照会)や組織内の住基システムからマイナンバーを照会し、マイナンバーを取得しているか。",
         ("①取得している。", "②取得していない。")),
    Item("7-2", "氏名・生年月日・性別・住所の確認が出来ない場合、どのように対応しているか。",
         ("①氏名・生年月日・性別・住所の一部の情報によりマイナンバーを取得している。", "②紐付けを行わない。（Q9 へ）")),
    Item("7-3", "【Q7-2において①と回答した場合】 氏名・生年月日・性別・住所のうち、どの情報で照会するか決めているか。",
         ("①決めている。", "②決めていない。")),
    Item("7-4", "【Q7-3において①と回答した場合】 その情報はどれか。 (該当箇所全てに「○」を入れてください)",
         ("①漢字氏名", "②カナ氏名", "③生年月日", "④性別", "⑤住所"), marks=True),
    Item("8-1", "氏名・生年月日・性別・住所の一部の情報により、住基ネットの利用(J-LIS照会)や組織内の住基システムから"
         "マイナンバーを確認し、マイナンバーを取得しているが、照会の結果、複数の者が該当した場合、どのように対応しているか。",
         ("①組織で定めた別途の方法（※）に基づき対応している。", "②具体的に定めた方法はなく、担当者に事実上任されている。（Q9 へ）",
          "③紐付けを行わない。（Q9 へ）"),
         followup="①を選択の場合、「別途の方法」の概要を記載してください。 (マニュアルの有無、別途の方法で特定した場合の確認方法等)"),
    Item("8-2", "【Q8-1において①と回答した場合】 別途の方法にて対応する際、本人として特定できた場合のみ紐付けを行っているか。",
         ("①必ず別途の方法で、本人として特定できた者に限り紐付けしている（特定できなかった場合については紐付けしていない）。",
          "②別途の方法で、本人として特定できなかった者についても紐付けを行っている場合もある。")),
    Item("9", "マイナポータル閲覧対象事務に係る紐付け業務を行う際、住基ネットの利用(J-LIS照会)や組織内の住基システムから"
         "マイナンバーを確認し、情報を紐付けるための手順として、どのような対応をとっているか。",
         ("①複数職員で確認している。", "②上記以外の場合であって、システム上、承認する理由を記載させるなど記録が残るようにしている。",
          "③①以外の場合であって、完全一致していないが、紐付けたことを記録として残している。",
          "④特に記録を残したり、別の職員が確認したりしていない。")),
    Item("10", "過去に何らかの原因でマイナンバーの紐付け誤りがあり(各業務システム内のデータが適正でなかった場合に起因する"
         "紐付け誤りを含む)、それを国(制度所管庁)への報告や公表のいずれもしていない事例がないか。ある場合、その原因は"
         "特定できているか。また改善されているか。",
         ("①事例はない。", "②事例はある。原因も特定されており、改善されている（概要を添付してください。）。",
          "③事例はある。原因も特定されているが、改善されていない（概要を添付してください。）。",
          "④事例はある。原因が特定されず、改善されていない（概要を添付してください。）。"),
         followup="②～④を選択の場合、事例の概要を記載してください。"),
]
BY_NO = {i.no: i for i in ITEMS}


@dataclass(frozen=True)
class Layout:
    """How a hand laid the sheet out (1-based columns).

    `resp`: (label, input, guidance) columns of a respondent row; `label_span` / `input_span`:
    how many columns the label / the input cell is merged over. `table`: (項番, 質問, 回答)
    columns; `answer_span`: the 回答 heading merged over that many columns, with the inputs in
    its last column. `followup_rows`: the product's follow-up rows (the ministry's form has
    none). `memo_rows`: item numbers above whose row a memo row is inserted. `options_in_answer`:
    mark rows carry the option text under 回答 and the mark right of it.
    """

    resp: tuple[int, int, int] = (1, 2, 3)
    label_span: int = 1
    input_span: int = 1
    table: tuple[int, int, int] = (1, 2, 3)
    answer_span: int = 1
    top_rows: int = 0
    followup_rows: bool = False
    memo_rows: tuple[str, ...] = ()
    options_in_answer: bool = False
    sheet_title: str = "調査項目回答様式"
    extra_sheets: tuple[str, ...] = ()
    protect: bool = False
    guidance_in_input: bool = False  # the input cell still holds its "◆入力" prompt when blank
    note_col: int | None = None  # a locked note ("必須") on each respondent row, left of the input
    answer_offset: int = 0  # the item inputs sit this many columns right of the 回答 heading


@dataclass
class Built:
    data: bytes
    cells: dict[str, str] = field(default_factory=dict)  # input key -> address ("組織名", "6:②", "2:followup")


def build(layout: Layout, respondent: dict[str, object], answers: dict[str, object]) -> Built:
    """The sheet with `respondent` (label -> typed value) and `answers` typed in.

    `answers`: item no -> typed value; a marks item's value is {circled digit: typed mark};
    "<no>:followup" -> the follow-up text (only where the layout has follow-up rows).
    """
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = layout.sheet_title
    cells: dict[str, str] = {}
    unlocked: list = []
    row = 1 + layout.top_rows
    ws.cell(row, 1, TITLE)
    row += 2
    ws.cell(row, 1, "回答者情報")
    row += 1
    lab, inp, gui = layout.resp
    for label, guidance in RESPONDENT:
        ws.cell(row, lab, label)
        if layout.label_span > 1:
            ws.merge_cells(start_row=row, start_column=lab, end_row=row, end_column=lab + layout.label_span - 1)
        value = respondent.get(label)
        target = ws.cell(row, inp)
        if value not in (None, ""):
            target.value = value
        elif layout.guidance_in_input:
            target.value = "◆入力"
        if layout.input_span > 1:
            ws.merge_cells(start_row=row, start_column=inp, end_row=row, end_column=inp + layout.input_span - 1)
        ws.cell(row, gui, guidance)
        if layout.note_col:
            ws.cell(row, layout.note_col, "必須" if label not in ("制度等", "属性") else "厚労省")
        cells[label] = target.coordinate
        unlocked.append(target)
        row += 1
    row += 1
    ws.cell(row, 2, "情報未入力あり")
    ws.cell(row + 1, 2, "未回答あり")
    row += 3
    ws.cell(row, 1, "調査項目への回答")
    row += 1
    no_c, q_c, a_c = layout.table
    ws.cell(row, no_c, "項番")
    ws.cell(row, q_c, "質問")
    ws.cell(row, a_c, "回答をリストから選択 (一部自由記載)")
    if layout.answer_span > 1:
        ws.merge_cells(start_row=row, start_column=a_c, end_row=row, end_column=a_c + layout.answer_span - 1)
    input_col = a_c + layout.answer_span - 1 + layout.answer_offset
    row += 1
    for item in ITEMS:
        if item.no in layout.memo_rows:
            ws.cell(row, q_c, "（メモ）記入者確認済み")
            row += 1
        ws.cell(row, no_c, item.no)
        ws.cell(row, q_c, item.question)
        if item.marks:
            row += 1
            marks = answers.get(item.no) or {}
            for option in item.options:
                if layout.options_in_answer:
                    ws.cell(row, a_c, option)
                    mark_cell = ws.cell(row, a_c + 1)
                else:
                    ws.cell(row, q_c, option)
                    mark_cell = ws.cell(row, input_col)
                if marks.get(option[0]) not in (None, ""):
                    mark_cell.value = marks[option[0]]
                cells[f"{item.no}:{option[0]}"] = mark_cell.coordinate
                unlocked.append(mark_cell)
                row += 1
        else:
            cell = ws.cell(row, input_col)
            if answers.get(item.no) not in (None, ""):
                cell.value = answers[item.no]
            cells[item.no] = cell.coordinate
            unlocked.append(cell)
            row += 1
        if item.followup and layout.followup_rows:
            ws.cell(row, q_c, item.followup)
            cell = ws.cell(row, input_col)
            if answers.get(f"{item.no}:followup") not in (None, ""):
                cell.value = answers[f"{item.no}:followup"]
            cells[f"{item.no}:followup"] = cell.coordinate
            unlocked.append(cell)
            row += 1
    for name in layout.extra_sheets:
        extra = book.create_sheet(name)
        extra["A1"] = "提出前の確認メモ"
        extra["B2"] = "回答"
    if layout.protect:
        for cell in unlocked:
            cell.protection = Protection(locked=False)
        ws.protection.sheet = True
    for col in range(1, 8):
        ws.column_dimensions[get_column_letter(col)].width = 30
    out = io.BytesIO()
    book.save(out)
    return Built(out.getvalue(), cells)
