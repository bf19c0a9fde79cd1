from xiangzhi.core.errors import Conflict, Invalid


class ParticipationError(Invalid):
    """An announcement, poll, vote or meeting refused as asked (no title, a question without options, a
    grid of another village)."""


class ParticipationConflict(ParticipationError, Conflict):
    """Refused because of the present state: a duplicate vote, a closed poll, a reminder too soon."""
