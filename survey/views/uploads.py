"""Bounding what an upload view reads: every view that accepts files puts a handler in front of
Django's before the body is parsed.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count files, and CsrfViewMiddleware parses a POST
body before the view runs; so an upload view is `csrf_exempt` outside (to insert the handler
first) and `csrf_protect` inside. tests/security/test_upload_hazards.py lists every URL whose
view reads files and fails on a new one it does not cover.
"""
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

SLACK = 64 * 1024  # form fields and multipart headers around the files


class BoundedUploadHandler(FileUploadHandler):
    """Counts the bytes of an upload as they arrive and drops every file past the limit."""

    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit, self.total, self.exceeded = limit, 0, False

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        if self.total > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def bounded(request, limit: int) -> BoundedUploadHandler:
    """Put the bound in front of Django's handlers; must run before request.POST is read."""
    handler = BoundedUploadHandler(limit, request)
    request.upload_handlers.insert(0, handler)
    return handler


def declared_too_large(request, limit: int) -> bool:
    """The body the client announces is larger than `limit` allows (refused before reading it)."""
    return int(request.META.get("CONTENT_LENGTH") or 0) > limit + SLACK


def too_large(request, handler: BoundedUploadHandler, limit: int) -> bool:
    """The upload passed `limit` (announced, or counted while its body was parsed)."""
    if declared_too_large(request, limit):
        return True
    request.FILES  # noqa: B018 - parses the body through the handler, if nothing has yet
    return handler.exceeded
