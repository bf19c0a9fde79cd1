from xiangzhi.core.errors import Conflict, Invalid


class ActivityError(Invalid):
    """An activity change refused, with the reason in Chinese; ``fields`` name the bad inputs."""


class ActivityConflict(ActivityError, Conflict):
    """The activity's state (full, closed, started, awarded, cancelled) refuses the change."""

    code = "conflict"
