"""Answer sheets: the officer's download and upload, bulk import (web job and command), zip export.

The workbook itself (writing, reading, upload safety) is the pure core in survey.workbook; this
package connects it to rounds, responses, private storage, jobs and the audit log:

- writing: one organisation's sheet, and the zip of every target (job "sheet_export")
- upload: an officer's returned sheet becomes a draft version (read with `complete=False`)
- imports: many returned sheets become submitted versions (job "sheet_import" and
  `manage.py import_answer_sheets`), saved in batches through the one submission path
  (survey.services.versions.versions_create_many)
- report: the import report workbook
"""
from .common import (
    DUPLICATE,
    IMPORTED,
    REJECTED,
    RESULTS_FOLDER,
    SHEETS_FOLDER,
    TEMPLATE_VERSION,
    UPLOADS_FOLDER,
    OrgKinds,
    OrgResolver,
    SheetRejected,
    org_lookups,
    org_resolver,
    problem,
    upload_limits,
)
from .imports import (
    IMPORT_CHUNK,
    IMPORT_KIND,
    FileOutcome,
    expand_upload,
    finished_job_folders_sweep,
    open_round,
    read_sheets,
    run_sheet_import,
    sheets_import,
    sheets_import_job_create,
)
from .report import SKIPPED, SKIPPED_MESSAGE, STATUS_LABELS, import_report_workbook, import_summary
from .upload import UploadOutcome, sheet_upload, still_missing
from .writing import (
    EXPORT_KIND,
    answer_sheet_bytes,
    answer_sheet_download,
    run_sheet_export,
    sheet_context,
    sheet_filename,
    sheets_export_job_create,
)

__all__ = [
    "DUPLICATE", "EXPORT_KIND", "IMPORTED", "IMPORT_CHUNK", "IMPORT_KIND", "REJECTED", "RESULTS_FOLDER",
    "SHEETS_FOLDER", "SKIPPED", "SKIPPED_MESSAGE", "STATUS_LABELS", "TEMPLATE_VERSION", "UPLOADS_FOLDER", "FileOutcome", "OrgKinds",
    "OrgResolver", "SheetRejected", "UploadOutcome", "answer_sheet_bytes", "answer_sheet_download",
    "expand_upload", "finished_job_folders_sweep", "import_report_workbook", "import_summary", "open_round", "org_lookups", "org_resolver",
    "problem", "read_sheets", "run_sheet_export", "run_sheet_import", "sheet_context", "sheet_filename",
    "sheet_upload", "sheets_export_job_create", "sheets_import", "sheets_import_job_create", "still_missing",
    "upload_limits",
]
