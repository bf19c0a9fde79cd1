from xiangzhi.core.errors import Conflict, Invalid


class DutyError(Invalid):
    """A list or an item refused as asked (an unknown department, a category governed twice…)."""


class VersionConflict(DutyError, Conflict):
    """Refused because of the version's state: an active or retired version is never edited."""
