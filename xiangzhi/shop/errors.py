"""Refusals of the supermarket. They are ``PointsError``s, so the API answers them the same way
(``code``, ``status``, ``fields``); a household short of points meets the ledger's own
``InsufficientPoints`` (409 ``insufficient_points``)."""

from xiangzhi.points.errors import AlreadyDone, IdempotencyConflict, InsufficientPoints, PointsError

__all__ = ["AlreadyDone", "IdempotencyConflict", "InsufficientPoints", "LimitExceeded", "OutOfStock", "ShopError",
           "WindowClosed"]


class ShopError(PointsError):
    """A supermarket change refused, with the reason in Chinese."""


class WindowClosed(ShopError):
    code = "window_closed"
    status = 409


class OutOfStock(ShopError):
    code = "out_of_stock"
    status = 409


class LimitExceeded(ShopError):
    code = "limit_exceeded"
    status = 409
