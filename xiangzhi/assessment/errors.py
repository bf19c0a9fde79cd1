from xiangzhi.core.errors import Conflict, Invalid


class AssessmentError(Invalid):
    """Input the assessment engine refuses as it stands."""


class PeriodStateError(Conflict):
    """Refused because of the period's or the scheme version's state (published, closed, in use)."""
