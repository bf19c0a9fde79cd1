"""The command centre's sections, in the order of 五个一 (one map, one screen, one platform…): each
section names its page and the rule that lets a user in."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.audit.rules import audit_allowed
from xiangzhi.cases.rules import figures_allowed
from xiangzhi.centre.workload import workload_allowed
from xiangzhi.configuration.rules import can_read as can_read_config


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    allowed: Callable[[Any], bool] = figures_allowed


SECTIONS: list[Section] = [
    Section("know", "概况", "centre:know", can_read_register),
    Section("figures", "统计", "centre:figures"),
    Section("queue", "调度", "centre:cases"),
    Section("workload", "工作量", "centre:workload", workload_allowed),
    Section("map", "地图", "centre:map"),
    Section("wall", "大屏", "centre:wall"),
    Section("take_part", "群众参与", "centre:take_part"),
    Section("audit", "审计", "centre:audit", audit_allowed),
    Section("config", "配置", "centre:config", can_read_config),
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
