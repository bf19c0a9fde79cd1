"""What the background worker does for the command centre: the recounts of slow figures kept a minute
(``kept.kept_recount``, declared beside the counts it renews; named here, where the worker looks for its
tasks)."""

from xiangzhi.centre import know, selectors, take_part, wall  # noqa: F401  # register the counts they keep
from xiangzhi.centre.kept import kept_recount

__all__ = ["kept_recount"]
