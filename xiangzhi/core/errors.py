"""One family of domain errors. Services raise these, never HTTP: the API maps them to its
structured error in one handler (``xiangzhi.api``), pages through ``DomainErrorMiddleware`` or by
showing the message beside the form.

Every app's own errors derive from one of these (``PointsError(Invalid)``,
``InsufficientPoints(PointsError, Conflict)``), so what an error *is* decides how it is answered:

============  ======  =====================================================================
class         status  meaning
============  ======  =====================================================================
NotFound      404     does not exist, or is not the asker's to see (the same answer for both)
Forbidden     403     the asker's role may not do this
Conflict      409     refused because of the present state (already reviewed, sold out…)
Invalid       422     the input is refused as it stands; ``fields`` name the bad inputs
RateLimited   429     too many in too short a time
============  ======  =====================================================================

A ``Conflict`` is a kind of ``Invalid``: a form that shows refusals catches both with
``except Invalid``, and ``NotFound`` / ``Forbidden`` still reach the error pages.
"""

from __future__ import annotations

from typing import Any

NOT_FOUND_MESSAGE = "不存在或无权查看"


class DomainError(ValueError):
    """A refusal with its reason in Chinese, meant to be shown to the person who asked. ``code`` is
    the machine-readable reason the API answers; ``fields`` name the inputs at fault."""

    code = "invalid"
    default_message = "请求不正确"

    def __init__(self, message: str | None = None, *, fields: list[dict[str, Any]] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.fields: list[dict[str, Any]] = fields or []
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError):
    code = "not_found"
    default_message = NOT_FOUND_MESSAGE


class Forbidden(DomainError):
    code = "forbidden"
    default_message = "无权进行此操作"


class Invalid(DomainError):
    code = "invalid"


class Conflict(Invalid):
    code = "conflict"


class IdempotencyConflict(Conflict):
    """The same Idempotency-Key was used before for a different submission."""

    code = "idempotency_conflict"


class RateLimited(DomainError):
    """Too many of these in too short a time; try again later."""

    code = "rate_limited"


class BadNumber(Invalid):
    """A form field that should be a whole number and is not."""


def field_error(name: str, message: str) -> list[dict[str, Any]]:
    """The ``fields`` of an error about one input."""
    return [{"field": name, "message": message}]


def status_of(exc: DomainError) -> int:
    """The HTTP status the API and the pages answer an error with: decided here, once."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, RateLimited):
        return 429
    return 422


def error_body(code: str, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The API's structured error: ``{"error": {"code", "message", "fields"?}}``."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body
