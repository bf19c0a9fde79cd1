"""The settings a county keeps in pages: what each one means, its unit and range, where its value comes
from when nobody has set it, and whether a township may override it.

Two kinds: plain settings whose county value is a ``Setting`` row (the duplicate-detection distance and
window, defaulting to the environment's ``CASE_DUPLICATE_METERS`` / ``CASE_DUPLICATE_HOURS``), and the
visit cycle of each key-population category, ``visit_cycle.<category code>``, whose county value is the
category's own cycle (kept with the category) and which townships may override (柳行街道 visits its
四到四访 groups every month, seed 004)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

VISIT_CYCLE_PREFIX = "visit_cycle."


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    unit: str
    low: int
    high: int
    help: str
    # The value when neither the county nor the township has set one; None when the caller knows it
    # (a visit cycle's county value is its category's).
    default: Callable[[], int] | None = None
    county_row: bool = True  # the county's value is a Setting row (else it is kept elsewhere)
    township: bool = True  # townships may override it


SPECS: dict[str, Spec] = {
    s.key: s for s in (
        Spec("case.duplicate_meters", "疑似重复件距离", "米", 10, 5000,
             "同一类别的事件相距不超过这个距离，即提示疑似重复",
             default=lambda: int(settings.CASE_DUPLICATE_METERS)),
        Spec("case.duplicate_hours", "疑似重复件时间窗口", "小时", 1, 720,
             "同一类别的事件上报时间相隔不超过这个时长，即提示疑似重复",
             default=lambda: int(settings.CASE_DUPLICATE_HOURS)),
    )
}

_VISIT_CYCLE = Spec("", "走访周期", "天", 1, 366, "重点人员每隔多少天至少走访一次；乡镇可以按本地要求另定",
                    county_row=False)


def visit_cycle_key(code: str) -> str:
    return f"{VISIT_CYCLE_PREFIX}{code}"


def spec_for(key: str) -> Spec | None:
    if key in SPECS:
        return SPECS[key]
    if key.startswith(VISIT_CYCLE_PREFIX) and len(key) > len(VISIT_CYCLE_PREFIX):
        return Spec(key, _VISIT_CYCLE.label, _VISIT_CYCLE.unit, _VISIT_CYCLE.low, _VISIT_CYCLE.high,
                    _VISIT_CYCLE.help, county_row=False)
    return None
