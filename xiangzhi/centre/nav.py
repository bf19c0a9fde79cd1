"""The command centre's sections, in the order of 五个一 (one map, one screen, one platform…): each
section names its page and the rule that lets a user in."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from xiangzhi.cases.rules import figures_allowed


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    allowed: Callable[[Any], bool] = figures_allowed


SECTIONS: list[Section] = [
    Section("figures", "统计", "centre:figures"),
]


def sections_for(user: Any, current: str = "") -> list[dict[str, Any]]:
    out = []
    for s in SECTIONS:
        if not s.allowed(user):
            continue
        try:
            url = reverse(s.url_name)
        except NoReverseMatch:
            continue
        out.append({"key": s.key, "label": s.label, "url": url, "current": s.key == current})
    return out
