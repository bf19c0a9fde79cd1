from django.core.exceptions import BadRequest


class PointsError(ValueError):
    """A points change refused, with the reason in Chinese; ``code`` and ``status`` are what the API
    answers, ``fields`` name the bad inputs."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, fields: list[dict] | None = None, code: str | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.fields = fields or []
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadNumber(PointsError, BadRequest):
    """A form field that should be a whole number and is not: the form shows it where it catches
    points errors, and anywhere else the request answers 400 instead of failing."""


class IdempotencyConflict(PointsError):
    """The same Idempotency-Key was used before for a different submission."""

    code = "idempotency_conflict"
    status = 409


class InsufficientPoints(PointsError):
    """The posting would take a household's balance below zero."""

    code = "insufficient_points"
    status = 409


class AlreadyDone(PointsError):
    """The entry was reviewed or reversed already: each happens once."""

    code = "conflict"
    status = 409
