"""The Content-Security-Policy report endpoint (the policy itself is CONTENT_SECURITY_POLICY).

Browsers POST a JSON report for every violation, without a CSRF token and often without a
session. Anyone can post here, so the body is bounded, parsed defensively, and only logged
(logger `csp`): junk is a 400, an oversized body a 413, never a 500.
"""
import json
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("csp")

MAX_REPORT_BYTES = 16 * 1024
# The fields worth keeping of a report (report-uri's "csp-report" or a Reporting API body).
FIELDS = ("document-uri", "documentURL", "effective-directive", "effectiveDirective", "violated-directive",
          "blocked-uri", "blockedURL", "source-file", "sourceFile", "line-number", "lineNumber",
          "column-number", "columnNumber", "script-sample", "sample", "disposition", "status-code", "statusCode")
MAX_FIELD_CHARS = 500


def _reports(payload) -> list[dict]:
    """The violation bodies of a report-uri payload ({"csp-report": {...}}) or a report-to list."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list):
        return [entry["body"] for entry in payload[:20]
                if isinstance(entry, dict) and isinstance(entry.get("body"), dict)]
    return []


def _summary(report: dict) -> dict:
    return {key: str(report[key])[:MAX_FIELD_CHARS] for key in FIELDS if key in report}


@csrf_exempt
@require_POST
def csp_report(request):
    """Log each violation the browser reports; 204 with no body."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_REPORT_BYTES:
        logger.warning("csp report refused: %d bytes declared", declared)
        return HttpResponse(status=413)
    body = request.read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        logger.warning("csp report refused: more than %d bytes", MAX_REPORT_BYTES)
        return HttpResponse(status=413)
    try:
        reports = _reports(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError):
        reports = []
    if not reports:
        logger.info("csp report ignored: not a report (%d bytes)", len(body))
        return HttpResponse(status=400)
    for report in reports:
        logger.warning("csp violation: %s", json.dumps(_summary(report), ensure_ascii=False, sort_keys=True))
    return HttpResponse(status=204)
