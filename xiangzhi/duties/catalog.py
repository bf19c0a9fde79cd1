"""What the lists need from the case catalog, which stands above them: the category codes and names (an
item names the categories it governs), and who must hear that a county's lists changed (case routing
keeps the active lists in memory). The cases app connects both when it starts (``services.routing_connect``);
until it has, no code is known and nobody is told."""

import logging
from collections.abc import Callable

logger = logging.getLogger("xiangzhi.duties")

_connected: dict[str, Callable[[], object]] = {}


def connect(*, categories: Callable[[], dict[str, str]], lists_changed: Callable[[], None]) -> None:
    _connected["categories"] = categories
    _connected["lists_changed"] = lists_changed


def category_names() -> dict[str, str]:
    """Code → name of every category of the catalog, in its order."""
    source = _connected.get("categories")
    names = source() if source is not None else {}
    assert isinstance(names, dict)
    return names


def lists_changed() -> None:
    listener = _connected.get("lists_changed")
    if listener is not None:
        listener()
