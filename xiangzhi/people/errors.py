from xiangzhi.core.errors import Conflict, Invalid


class RegisterError(Invalid):
    """A household-register change refused, with the reason in Chinese."""


class ChangeConflict(RegisterError, Conflict):
    """Another proposal touching the same person and field is waiting for the village."""

    code = "conflict"
