"""User-facing messages of the workbook reader (Japanese), in one place."""

NO_TABLE = (
    "調査項目回答シートではありません（「項番」と「回答」の見出しがある表が見つかりません）。"
    "ダウンロードした回答シートに記入して提出してください。"
)
UNREADABLE = "ファイルを読み取れません（{detail}）。Excelで開けることを確認し、保存し直してください。"
ENCRYPTED = "パスワードで保護（暗号化）されたファイルは読み取れません。パスワードを解除して保存し直してください。"
IGNORED_CELL = "調査項目の表で、どの項目の回答欄でもない欄の値「{value}」を読み飛ばしました。"
IGNORED_ITEM_CELL = "{label}：回答欄として認識できない欄の値「{value}」を読み飛ばしました。"
DUPLICATE_ROW = "{label}：項番の行が2つあります。1つにしてください。"
MARKS_ITEM_ROW_IGNORED = "{label}：この欄ではなく、各選択肢の行に「○」を入れてください。この欄の値は読み飛ばしました。"
FOLLOWUP_ROW_MISSING = "{label}：{followup}の記入欄がシートにありません。{followup}はファイルを添付して別途提出してください。"
IDENTITY_BAD = "シートの識別情報が壊れています。ダウンロードし直したシートに記入してください。"
IDENTITY_MISSING = "シートの識別情報がないため、組織名「{name}」から団体を特定しました。"
ORG_MISMATCH = (
    "組織名「{name}」が、このシートをダウンロードした団体（団体コード{code}）と一致しません。"
    "自団体のシートか、組織名の記入を確認してください。"
)
ORG_UNKNOWN = "組織名「{name}」に該当する団体が見つかりません。「14神奈川県相模原市」のように記入してください。"
ORG_AMBIGUOUS = (
    "組織名「{name}」に該当する団体が複数あります{candidates}。"
    "都道府県コード・都道府県名から記入してください。"
)
ORG_UNKNOWN_SUGGEST = (
    "組織名「{name}」に該当する団体が見つかりません（同じ名前の団体：{candidates}）。"
    "都道府県コード・都道府県名を確認してください。"
)
ORG_NAME_NORMALISED = "組織名「{name}」を「{shown}」（団体コード{code}{notes}）として読み取りました。"
IDENTITY_MISSING_NORMALISED = (
    "シートの識別情報がないため、組織名「{name}」を「{shown}」（団体コード{code}{notes}）として団体を特定しました。"
)
ORG_NAME_MISSING = "組織名が記入されていないため、団体を特定できません。"
ORG_KIND_MISMATCH = "組織区分「{value}」が団体の区分（{expected}）と一致しません。"
ORG_KIND_UNKNOWN = "組織区分が分からないため、回答の分岐を確認できません。組織区分を選択してください。"
REJECTED_CRASH = "ファイルの読み取り中に処理が異常終了しました。ファイルが壊れているか、大きすぎる可能性があります。"
REJECTED_BUSY = "ほかのファイルの読み取りが混み合っているため、読み取れませんでした。しばらくしてからもう一度アップロードしてください。"
REJECTED_TIMEOUT = "ファイルの読み取りが制限時間（{seconds}秒）内に終わりませんでした。"
SEVERAL_TABLES = "回答の表があるシートが複数あります。シート「{sheet}」を読み取り、「{others}」は読み飛ばしました。"
MONTH_FROM_ANSWER = "{label}：「{value}」を「{shown}」、{followup}「{month}」として読み取りました。"
