from xiangzhi.points.errors import PointsError


class ActivityError(PointsError):
    """An activity change refused, with the reason in Chinese. A ``PointsError`` (an activity is how
    households earn volunteer points), so the API and pages answer it the same way: ``code``,
    ``status`` and ``fields``."""


class ActivityConflict(ActivityError):
    """The activity's state (full, closed, started, awarded, cancelled) refuses the change."""

    code = "conflict"
    status = 409
