from xiangzhi.core.errors import Conflict, Invalid


class MeetingError(Invalid):
    """A sunshine meeting, commitment or deliberation refused as asked (bad counts, dates, text)."""


class MeetingConflict(MeetingError, Conflict):
    """Refused because of the record's present state (a published meeting, a stopped matter, a step
    out of order)."""
