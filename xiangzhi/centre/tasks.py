"""What the background worker does for the command centre: the wall screen's recounts
(``wall.wall_recount``, declared beside the counts it renews; named here, where the worker looks for
its tasks)."""

from xiangzhi.centre.wall import wall_recount

__all__ = ["wall_recount"]
