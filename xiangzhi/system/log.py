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
