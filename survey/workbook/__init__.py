"""The standard answer sheet: writer, reader and upload safety. Pure: no Django here.

- `write_answer_sheet(defn, context=..., answers=..., respondent=...) -> bytes`
- `read_answer_sheet(data, filename, defn, resolve_org=..., complete=True) -> SheetResult` (in this
  process); `complete=False` reads a draft: missing answers go to `SheetResult.missing`, not errors
- `read_answer_sheet_isolated(...)` / `SheetReaderPool`: the same, parsed in child processes
- `open_upload(data, filename) -> list[UploadFile]`, `check_workbook_bytes(data, filename)`
- `expand_zip(fh, write, limits)`: a zip on disk expanded entry by entry through `write`
"""

from .isolation import SheetReaderPool, read_answer_sheet_isolated
from .model import CellIssue, Identity, SheetContext, SheetResult
from .reader import read_answer_sheet
from .safety import (
    Limits,
    UploadFile,
    UploadRejected,
    check_workbook_bytes,
    expand_zip,
    is_zip_upload,
    open_upload,
    too_large,
)
from .writer import write_answer_sheet, write_answer_sheet_to

__all__ = [
    "CellIssue", "Identity", "Limits", "SheetContext", "SheetReaderPool", "SheetResult", "UploadFile",
    "UploadRejected", "check_workbook_bytes", "expand_zip", "is_zip_upload", "open_upload", "too_large", "read_answer_sheet", "read_answer_sheet_isolated",
    "write_answer_sheet", "write_answer_sheet_to",
]
