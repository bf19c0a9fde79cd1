"""Log lines that say which request failed and for whom.

Django hands the request to its ``django.request`` records (``record.request``); this filter turns
it into ``method path · user id (role) · ref``. Never the query string's secrets: the path only.
"""

import logging


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.context = describe_request(request) if request is not None else ""
        return True


def describe_request(request) -> str:
    try:
        method = getattr(request, "method", "") or ""
        path = getattr(request, "path", "") or ""
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            who = f"user={user.pk}({getattr(user, 'role', '')})"
        else:
            who = "user=anonymous"
        ref = getattr(request, "error_ref", None)
        return f" [{method} {path} {who}{f' ref={ref}' if ref else ''}]"
    except Exception:  # a log line must never raise
        return " [request unreadable]"


class ErrorRecordHandler(logging.Handler):
    """Keeps each ERROR line's gist in the database for the status page (``system.services.error_record``).
    It never raises, never records its own failures, and stays out of a transaction that may roll back."""

    def __init__(self, level: int = logging.ERROR):
        super().__init__(level)
        self._busy = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            from django.apps import apps

            if not apps.ready:
                return
            from xiangzhi.system.services import error_record

            message = record.getMessage().strip().splitlines()[0] if record.getMessage().strip() else ""
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                message = f"{message} — {exc.__class__.__name__}: {exc}".strip(" —")
            error_record(logger=record.name, message=message, context=getattr(record, "context", "").strip(" []"))
        except Exception:  # noqa: S110 — a log handler must never raise, nor log its own failure
            pass
        finally:
            self._busy = False
