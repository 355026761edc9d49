"""The bounds of an upload (`Limits`), the refusal it raises (`UploadRejected`) and its Japanese messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from .. import messages as _msg

MB = 1024 * 1024
T = TypeVar("T")
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds for uploads; defaults fit the answer sheet with a wide margin."""

    max_upload_bytes: int = 100 * MB      # one uploaded file (a zip of sheets, or one sheet)
    max_workbook_bytes: int = 10 * MB     # one workbook
    max_zip_entries: int = 5000
    max_zip_entry_bytes: int = 10 * MB    # decompressed, per entry of an upload zip
    max_zip_total_bytes: int = 300 * MB   # decompressed, all entries of an upload zip
    max_parts: int = 500                  # parts inside one workbook container
    max_part_bytes: int = 20 * MB         # decompressed, per workbook part
    max_parts_total_bytes: int = 60 * MB  # decompressed, whole workbook
    max_cells_area: int = 1_000_000       # rows x columns spanned by a worksheet's cells
    max_sheets: int = 30                  # sheets (worksheets, ODS tables) in one workbook
    max_total_cells: int = 2_000_000      # rows x columns spanned, summed over every sheet
    max_central_directory: int = 4 * MB


DEFAULT_LIMITS = Limits()


class UploadRejected(Exception):
    """A file that cannot be read safely; `code` is stable, `message` Japanese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class UploadFile(NamedTuple):
    """One file of an upload: `data` is None when `error` says why it was not taken."""

    name: str
    data: bytes | None
    error: UploadRejected | None = None


def _reject(code: str, message: str) -> UploadRejected:
    return UploadRejected(code, message)


TOO_LARGE = "ファイルが大きすぎます（{size}、上限{limit}）。"
NOT_WORKBOOK = "Excel（.xlsx・.xlsm・.xls）またはODS（.ods）のファイルではありません。"
CORRUPT = "ファイルが壊れているため読み取れません（{detail}）。"
NESTED_ZIP = "ZIPファイルの中のZIPファイルは受け付けません。展開してからアップロードしてください。"
TOO_MANY = "ZIPファイルの中のファイルが多すぎます（上限{limit}件）。"
BOMB = "展開後のサイズが上限（{limit}）を超えるため読み取りを中止しました。"
XML_FORBIDDEN = "ファイル内のXMLに許可されていない定義（DTD・エンティティ）が含まれているため読み取りません。"
SHEET_TOO_WIDE = (
    "シート「{sheet}」の使用範囲が大きすぎます（{cell}まで値または書式があります）。"
    "不要なセルを削除してから保存し直してください。"
)
TOO_MANY_SHEETS = "シートが多すぎます（{count}枚、上限{limit}枚）。回答シート以外の不要なシートを削除してから保存し直してください。"
TOO_MANY_CELLS = (
    "ブック全体のセルの範囲が大きすぎます（全シートで{cells:,}セル以上、上限{limit:,}セル）。"
    "不要なシートやセルを削除してから保存し直してください。"
)
ENCRYPTED = _msg.ENCRYPTED


def too_many_sheets(count: int, limits: Limits) -> UploadRejected:
    return _reject("too_many_sheets", TOO_MANY_SHEETS.format(count=count, limit=limits.max_sheets))


def too_many_cells(cells: int, limits: Limits) -> UploadRejected:
    return _reject("too_many_cells", TOO_MANY_CELLS.format(cells=cells, limit=limits.max_total_cells))


def _size(n: int) -> str:
    return f"{n / MB:.1f}MB" if n >= MB else f"{n / 1024:.0f}KB"


# -- zip structure ------------------------------------------------------------------------


def too_large(size: int, limit: int) -> UploadRejected:
    return _reject("too_large", TOO_LARGE.format(size=_size(size), limit=_size(limit)))


