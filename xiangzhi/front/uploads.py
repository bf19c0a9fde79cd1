"""A cap on what one request may send, enforced before the body reaches the disk.

``UploadLimitMiddleware`` answers 413 from the request's Content-Length before anything reads the
body (a page in Chinese, or the API's structured error under ``/api/`` and ``/open311/``).
``UploadLimitHandler``, first in ``FILE_UPLOAD_HANDLERS``, counts the bytes the multipart parser
actually hands over and stops the upload once they pass the same limit, closing whatever the later
handlers had opened; the middleware then turns that request's answer into the same 413.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse, JsonResponse
from django.template import loader

API_PREFIXES = ("/api/", "/open311/")
TITLE = "上传内容过大"
_FLAG = "_xiangzhi_upload_too_large"


class UploadTooLarge(RequestDataTooBig):
    """The body passed ``UPLOAD_MAX_BYTES`` while it was being parsed."""


def limit_message() -> str:
    limit = settings.UPLOAD_MAX_BYTES
    size = f"{limit // 1024 // 1024} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"一次提交的内容（含文件）不能超过 {size}，请减少照片或拆分文件后重试"


def too_large_response(request) -> HttpResponse:
    message = limit_message()
    if request.path.startswith(API_PREFIXES):
        body = {"error": {"code": "payload_too_large", "message": message}}
        return JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})
    page = loader.render_to_string("front/too_large.html", {"title": TITLE, "text": message})
    response = HttpResponse(page, status=413)
    # The client may still be sending; tell it not to reuse the connection for another request.
    response["Connection"] = "close"
    return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _content_length(request) > settings.UPLOAD_MAX_BYTES:
            return too_large_response(request)
        response = self.get_response(request)
        if getattr(request, _FLAG, False):
            return too_large_response(request)
        return response


class UploadLimitHandler(FileUploadHandler):
    """Counts every file byte of one request; past ``UPLOAD_MAX_BYTES`` the upload stops."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.UPLOAD_MAX_BYTES:
            self._refuse()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self):
        if self.request is not None:
            setattr(self.request, _FLAG, True)
            for handler in self.request.upload_handlers:
                opened = getattr(handler, "file", None)
                if handler is not self and opened is not None and hasattr(opened, "close"):
                    opened.close()  # a temporary file is deleted when it is closed
        raise UploadTooLarge(limit_message())
