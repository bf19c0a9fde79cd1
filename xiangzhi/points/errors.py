"""Refusals of points changes. Each is a kernel error (``xiangzhi.core.errors``): what it is
decides how the API and the pages answer it."""

from xiangzhi.core.errors import Conflict, Forbidden, Invalid


class PointsError(Invalid):
    """A points change refused, with the reason in Chinese; ``fields`` name the bad inputs."""


class PointsConflict(PointsError, Conflict):
    """The present state refuses the change (an open objection, an overlapping window…)."""

    code = "conflict"


class PointsForbidden(PointsError, Forbidden):
    """Nobody may do this by hand (an item the system awards itself)."""

    code = "forbidden"


class InsufficientPoints(PointsConflict):
    """The posting would take a household's balance below zero."""

    code = "insufficient_points"


class AlreadyDone(PointsConflict):
    """The entry was reviewed or reversed already: each happens once."""

    code = "conflict"
