"""Upload safety: size limits, zip expansion with streaming bounds, workbook container checks.

Every check raises `UploadRejected(code, message)` with a Japanese message; callers turn it
into a per-file error, so one bad file never stops a batch. Declared sizes in a zip can lie,
so decompressed bytes are counted while streaming. XML parts are parsed with defusedxml
(DTDs and entities refused). Worksheets are pre-scanned so that a sheet whose cells span an
absurd range (calamine allocates the whole rectangle) is refused before calamine sees it, and
so is a workbook of too many sheets or too many cells across its sheets (a small file of many
sheets each just under the per-sheet bound kept calamine busy for 17 s). `.xls` cannot be
pre-scanned cheaply: `extract` applies the same two caps while reading, and the isolated reader's
time and memory limits bound the rest.

Modules: `limits` (bounds, refusals, messages), `zips` (zip containers and bulk zips),
`containers` (one workbook's check), `xmlscan` (defused XML parsing), `cells` (sheet pre-scans).
This package's names below are its public interface.
"""
from .containers import CheckedWorkbook, check_workbook, check_workbook_bytes, workbook_kind
from .limits import (
    DEFAULT_LIMITS,
    Limits,
    UploadFile,
    UploadRejected,
    too_large,
    too_many_cells,
    too_many_sheets,
)
from .xmlscan import defused_expat
from .zips import expand_zip, is_zip_upload, open_upload, zip_directory

__all__ = [
    "DEFAULT_LIMITS", "CheckedWorkbook", "Limits", "UploadFile", "UploadRejected", "check_workbook",
    "check_workbook_bytes", "defused_expat",
    "expand_zip", "is_zip_upload", "open_upload", "too_large", "too_many_cells", "too_many_sheets",
    "workbook_kind", "zip_directory",
]
