from xiangzhi.core.errors import Conflict, Invalid, NotFound


class SupervisionError(Invalid):
    """A question, an answer or a report refused as sent (too long, no reason, a bad phone)."""


class SupervisionConflict(SupervisionError, Conflict):
    """Refused because of the question's present state (screened already, answered already)."""


class CodeForged(NotFound):
    """A village code whose signature does not hold, or that names no village: it opens nothing."""

    default_message = "这个二维码无效，无法打开村务公开页面。请扫描村务公开栏上张贴的二维码。"


class CodeReplaced(NotFound):
    """A village code of an earlier generation: the poster was replaced by a new one."""

    default_message = "此码已更换，请扫描村务公开栏上的新码"


class FollowLinkInvalid(NotFound):
    """A follow link (a question's or a report's) whose signature does not hold."""

    default_message = "这个链接无效或不完整，请打开短信或提交后页面上的完整链接。"
