from xiangzhi.core.errors import Conflict, Invalid


class DisclosureError(Invalid):
    """A disclosure, post or cadre's entry refused as asked (bad text, money, files, a missing attachment)."""


class DisclosureConflict(DisclosureError, Conflict):
    """Refused because of the present state (publishing without a passed screening, editing what waits
    for screening)."""
