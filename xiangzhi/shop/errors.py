"""Refusals of the supermarket, as kernel errors (``xiangzhi.core.errors``). A household short of
points meets the points ledger's own ``InsufficientPoints`` (409 ``insufficient_points``)."""

from xiangzhi.core.errors import Conflict, Invalid


class ShopError(Invalid):
    """A supermarket change refused, with the reason in Chinese."""


class ShopConflict(ShopError, Conflict):
    code = "conflict"


class OrderDone(ShopConflict):
    """The order was handed over or cancelled already: each happens once."""


class WindowClosed(ShopConflict):
    code = "window_closed"


class OutOfStock(ShopConflict):
    code = "out_of_stock"


class LimitExceeded(ShopConflict):
    code = "limit_exceeded"
