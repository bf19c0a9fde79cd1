from xiangzhi.core.errors import Conflict, Invalid


class AssessmentError(Invalid):
    """Input the assessment engine refuses as it stands."""


class PeriodStateError(Conflict):
    """Refused because of the period's or the scheme version's state (published, closed, in use)."""


class AppealPending(AssessmentError, Conflict):
    """An appeal on the same lost point (or on the whole score) is still waiting for its decision: the
    input is refused (an ``AssessmentError``) because of the present state (a ``Conflict``, 409)."""
