from xiangzhi.core.errors import Conflict, Invalid


class ProjectError(Invalid):
    """A village project refused as asked (bad money, dates, a request from another village)."""


class ProjectConflict(ProjectError, Conflict):
    """Refused because of the project's present state (spending on a finished project)."""
