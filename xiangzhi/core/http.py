"""Domain errors at the edge: the API's JSON answer and the pages' error pages, from one mapping
(``errors.status_of``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from xiangzhi.core.errors import DomainError, Forbidden, Invalid, NotFound, error_body, status_of


def error_response(status: int, code: str, message: str, fields: list[dict[str, Any]] | None = None) -> JsonResponse:
    """The API's structured error as a response, for the places that answer outside the API's own
    exception handlers (webhooks, the token endpoint)."""
    return JsonResponse(error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False})


def domain_error_response(exc: DomainError) -> JsonResponse:
    return error_response(status_of(exc), exc.code, str(exc), exc.fields)


class DomainErrorMiddleware:
    """A domain error that a page's view lets through answers with the site's error page: 404 for
    ``NotFound``, 403 for ``Forbidden``, otherwise 400 with the error's own message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError):
            return None
        if isinstance(exc, NotFound):
            return response_for_exception(request, Http404(str(exc)))
        if isinstance(exc, Forbidden):
            denied = PermissionDenied(str(exc))
            denied.domain_error = exc  # type: ignore[attr-defined]  # the 403 page says why, in the rule's words
            return response_for_exception(request, denied)
        bad = BadRequest(str(exc))
        bad.domain_error = exc  # type: ignore[attr-defined]  # the 400 page shows the refusal's own words
        return response_for_exception(request, bad)


def act_then_redirect(request: HttpRequest, doing: Callable[[], str | None], to: str) -> HttpResponse:
    """A page's POST: run ``doing()`` and go back to ``to``, with the message it returns on success or
    the refusal's own words (an ``Invalid`` domain error) on failure. Anything else (not found, not
    allowed) is left to ``DomainErrorMiddleware``."""
    try:
        message = doing()
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        if message:
            messages.success(request, message)
    return redirect(to)
