"""The answer sheet of a revised survey version (a next round) is written and read back like any other."""
from survey.engine import DEFINITIONS_DIR, load_definition
from survey.workbook import SheetContext, read_answer_sheet, write_answer_sheet

DEMO = load_definition(DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml")
RESPONDENT = {"組織区分": "市区町村", "組織名": "14神奈川県相模原市", "担当部署名": "福祉課", "回答責任者役職": "生活福祉課長",
              "回答責任者氏名": "相模 太郎", "連絡先氏名": "相模原 市郎", "電話番号": "042-754-1111",
              "メールアドレス": "fukushi@city.sagamihara.example.jp"}


def test_the_new_item_and_the_shorter_option_list_round_trip():
    context = SheetContext(round_id=7, round_title="次回", org_code="141500", org_display_name="14神奈川県相模原市",
                           org_section="市区町村", org_kind="municipality", scheme=DEMO.scheme, attribute="",
                           deadline="2026-12-01", template_version=DEMO.version)
    answers = {"1-1": "2", "2": "1", "3": "1", "4": "2", "5": "1", "10": "1", "11": "3"}
    data = write_answer_sheet(DEMO, context, answers, RESPONDENT)
    result = read_answer_sheet(data, "相模原市.xlsx", DEMO, resolve_org=lambda name: "141500",
                               org_kind_of=lambda code: "municipality")
    assert result.ok and result.errors == []
    assert result.answers == answers and result.template_version == "2024.1-demo"
