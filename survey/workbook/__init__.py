"""The standard answer sheet: writer, reader and upload safety. Pure: no Django here.

- `write_answer_sheet(defn, context=..., answers=..., respondent=...) -> bytes`
- `read_answer_sheet(data, filename, defn, resolve_org=..., complete=True) -> SheetResult` (in this
  process); `complete=False` reads a draft: missing answers go to `SheetResult.missing`, not errors
- `read_answer_sheet_isolated(...)` / `SheetReaderPool`: the same, parsed in child processes
- `open_upload(data, filename) -> list[UploadFile]`, `check_workbook_bytes(data, filename)`
- `expand_zip(fh, write, limits)`: a zip on disk expanded entry by entry through `write`
"""

from importlib import import_module
from typing import TYPE_CHECKING

# The names below are imported when first asked for (PEP 562), not with the package: a reader
# worker (`python -m survey.workbook.worker`, started every few hundred sheets) imports this
# package first and needs only `extract`, not the writer (xlsxwriter), the pool or stage 2.
_WHERE = {
    "SheetReaderPool": "isolation", "read_answer_sheet_isolated": "isolation",
    "CellIssue": "model", "Identity": "model", "SheetContext": "model", "SheetResult": "model",
    "read_answer_sheet": "reader",
    "Limits": "safety", "UploadFile": "safety", "UploadRejected": "safety", "check_workbook_bytes": "safety",
    "expand_zip": "safety", "is_zip_upload": "safety", "open_upload": "safety", "too_large": "safety",
    "write_answer_sheet": "writer", "write_answer_sheet_to": "writer",
}

if TYPE_CHECKING:
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


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        # A submodule (`workbook.safety`), as it was an attribute once the package imported it.
        if name.startswith("_"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        try:
            return import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "CellIssue", "Identity", "Limits", "SheetContext", "SheetReaderPool", "SheetResult", "UploadFile",
    "UploadRejected", "check_workbook_bytes", "expand_zip", "is_zip_upload", "open_upload", "too_large", "read_answer_sheet", "read_answer_sheet_isolated",
    "write_answer_sheet", "write_answer_sheet_to",
]
