"""What the case services refuse. Both derive from the kernel's errors, so the API and the pages
answer them like every other refusal (``core.errors``)."""

from xiangzhi.core.errors import Conflict, Invalid


class CaseError(Invalid):
    """Input a case service refuses, with the reason in Chinese."""


class TransitionError(Conflict):
    """An action the case's state does not allow, with the reason in Chinese."""

    code = "illegal_transition"
