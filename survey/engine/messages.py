"""Every user-facing message of the engine, in one place.

The engine is pure (no Django), so these are plain format strings; the web layer shows them
as they are. Placeholders: `label` is the item's label from the definition, `field` a respondent field.
"""

INVALID_OPTION = "{label}：「{value}」は選択肢にありません。{first}〜{last}から選んでください。"
INVALID_VALUE = "{label}：回答の形式が正しくありません（「{value}」）。"
INVALID_MARK = (
    "{label} {option}：「{value}」は印として読み取れません。"
    "該当する場合は「○」を入れ、該当しない場合は空欄にしてください。"
)
INVALID_MONTH = (
    "{label} {followup}：「{value}」は年月として読み取れません。"
    "「2024年3月」「令和6年3月」「2024/3」のように年と月（1〜12月）を入力してください。"
)
TOO_LONG = "{label} {followup}：{max}文字以内で入力してください（現在{length}文字）。"
UNKNOWN_ITEM = "「{value}」という調査項目はありません。"
DUPLICATE_ITEM = "{label}：回答が2つあります（「{value}」）。1つにしてください。"
NORMALISED = "{label}：「{value}」を「{shown}」として読み取りました。"

SKIPPED_ORG_KIND = "{label}：{org_kinds}のみ回答する項目です。回答を消してください。"
SKIPPED_GOTO = (
    "{label}：{source}で「{mark}」を選んだ場合は回答しません。回答を消すか、{source}を見直してください。"
)
SKIPPED_ONLY_IF = (
    "{label}：{source}で「{marks}」を選んだ場合のみ回答します。回答を消すか、{source}を見直してください。"
)
SKIPPED_NOT_REACHED = "{label}：{source}に回答しない場合は回答しません。回答を消してください。"
FOLLOWUP_SKIPPED = "{label} {followup}：{label}で「{marks}」を選んだ場合のみ記入します。記入を消すか、{label}を見直してください。"
FOLLOWUP_ITEM_SKIPPED = "{label} {followup}：{label}に回答しない場合は記入しません。記入を消してください。"

REQUIRED = "{label}：未回答です。{first}〜{last}から選んでください。"
MARKS_REQUIRED = "{label}：該当するものに「○」を付けてください（1つ以上）。"
FOLLOWUP_REQUIRED = "{label}：「{marks}」を選んだ場合は{followup}を記入してください。"

UNKNOWN_FIELD = "回答者情報に「{value}」という欄はありません。"
RESPONDENT_REQUIRED = "{field}を入力してください。"
RESPONDENT_CHOICE_REQUIRED = "{field}を選択してください（{choices}）。"
INVALID_FIELD_VALUE = "{field}：値の形式が正しくありません（「{value}」）。"
INVALID_CHOICE = "{field}：「{value}」は選択肢にありません。{choices}から選んでください。"
ORG_KIND_MISMATCH = (
    "{field}：「{value}」となっていますが、この組織は{expected}です。{expected}を選んでください。"
)
INVALID_PHONE = (
    "{field}：「{value}」は電話番号として読み取れません。"
    "市外局番から入力してください（例：03-5253-1111 内線5785）。"
)
INVALID_EMAIL = "{field}：「{value}」はメールアドレスの形式ではありません（例：taro@example.lg.jp）。"
FIELD_CHECK = "{field}：{message}"
FIELD_NORMALISED = "{field}：「{value}」を「{shown}」として読み取りました。"

MINISTRY_FIELD_BLANK = "{field}：空欄のため、この調査回の「{expected}」としました（厚労省で入力する欄です）。"
MINISTRY_FIELD_IGNORED = "{field}：「{value}」と記入されていますが、この調査回では空欄の欄のため読み飛ばしました（厚労省で入力する欄です）。"
MINISTRY_FIELD_REWORDED = "{field}：「{value}」を、この調査回の「{expected}」として読み取りました（厚労省で入力する欄です）。"
MINISTRY_FIELD_OTHER = (
    "{field}：「{value}」は、この調査回の「{expected}」と異なります。"
    "別の制度の回答シートではないか確認し、この調査回の回答シートで提出してください。"
)

# Carrying answers over from a previous round (carryover.py). `label` is the item's label in
# the previous round's survey, `option` the option as it was shown there (circled digit + text).
CARRY_ITEM_REMOVED = "{label}：今回の調査票にはこの項目がないため、前回の回答（{value}）は引き継いでいません。"
CARRY_KIND_CHANGED = "{label}：回答方法が変わったため、前回の回答（{value}）は引き継いでいません。改めて回答してください。"
CARRY_OPTION_REMOVED = "{label}：前回選んだ「{option}」は今回の選択肢にないため、消去しました。改めて回答してください。"
CARRY_FOLLOWUP_REMOVED = "{label} {followup}：今回の調査票にはこの記入欄がないため、前回の記入は引き継いでいません。"
CARRY_NOT_APPLICABLE = "{label}：今回の調査票の分岐では回答しない項目になったため、前回の回答は引き継いでいません。"
