"""The attachment limits, applied while a request streams in rather than after it is stored:
a body larger than any acceptable message is answered 413 before it is read, and a file
stops being kept at the chunk that takes it past the limit for one file or the files of
the message past theirs. The refused names stay on the request, so the form can say
which file was left out and why."""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import actions
from .models import HelpdeskSettings

MB = actions.MB
# Room, beyond the files, for the form's text and the multipart framing: the text fields
# are capped by DATA_UPLOAD_MAX_MEMORY_SIZE in any case.
BODY_MARGIN = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * MB // 2) + MB // 4


@dataclass(frozen=True)
class RefusedUpload:
    field: str
    name: str
    reason: str  # "file" (over the limit for one file) or "message" (over the total)

    def message(self, config: HelpdeskSettings) -> str:
        if self.reason == "file":
            return actions.file_too_large(self.name, config)
        return actions.message_too_large(self.name, config)


def refused_uploads(request) -> list[RefusedUpload]:
    """The files the upload limits left out of this request."""
    request.FILES  # noqa: B018  (parsing the body is what fills the list)
    return list(getattr(request, "refused_uploads", []))


class AttachmentLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: the handlers after it store only what it lets through."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limits = None
        self.kept = 0  # bytes of the files of this request accepted so far
        self.refused = []
        if request is not None:
            request.refused_uploads = self.refused

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.limits is None:
            config = HelpdeskSettings.current()
            self.limits = (config.attachment_max_mb * MB, config.message_attachments_max_mb * MB)

    def receive_data_chunk(self, raw_data, start):
        size = start + len(raw_data)
        per_file, per_message = self.limits
        reason = "file" if size > per_file else "message" if self.kept + size > per_message else ""
        if reason:
            # What the next handlers wrote of this file is closed and deleted by the parser,
            # and the rest of it is read past without being kept.
            self.refused.append(RefusedUpload(self.field_name, self.file_name, reason))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        self.kept += file_size
        return None  # the next handlers hand over the file


class UploadSizeMiddleware:
    """A request body larger than the files of one message and the form around them is
    refused unread, in the visitor's language (after the middleware that choose it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > BODY_MARGIN:  # the settings row is read only for large bodies
            config = HelpdeskSettings.current()
            if length > config.message_attachments_max_mb * MB + BODY_MARGIN:
                if request.path.startswith("/api/"):  # callers of the API read problem details
                    return _problem_too_large(config)
                return render(request, "helpdesk/upload_too_large.html", {"limits": config},
                              status=413)  # fmt: skip
        return self.get_response(request)


def _problem_too_large(config: HelpdeskSettings) -> JsonResponse:
    detail = _(
        "What you sent was not read: the files of one message may total at most %(message)s "
        "MB, and each file at most %(file)s MB."
    ) % {"message": config.message_attachments_max_mb, "file": config.attachment_max_mb}
    body = {"type": "about:blank", "title": _("Files too large"), "status": 413, "detail": detail}
    return JsonResponse(body, status=413, content_type="application/problem+json")
