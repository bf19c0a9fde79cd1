"""Changing the configuration: a setting's value for the county or a township, and the record every
configuration change leaves (here and in the audit trail), whichever app keeps the thing changed."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.configuration.keys import spec_for
from xiangzhi.configuration.models import ConfigChange, ConfigKind, Setting
from xiangzhi.configuration.rules import can_edit_region
from xiangzhi.configuration.selectors import setting_value
from xiangzhi.core.errors import Conflict, Invalid, field_error
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Region, RegionLevel


def change_reason(reason: str | None) -> str:
    """Every configuration change says why, in two to two hundred characters."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid("请填写修改理由", fields=field_error("reason", "必填"))
    if len(reason) > 200:
        raise Invalid("修改理由不能超过 200 个字", fields=field_error("reason", "太长"))
    return reason


def config_change_record(*, kind: str, code: str, name: str = "", before: Any = None, after: Any = None,
                         actor: User | None, reason: str = "", scope_path: str = "",
                         at: dt.datetime | None = None) -> ConfigChange:
    """One configuration change, kept here with its before and after, and in the audit trail. ``at``
    defaults to now (the demo's history passes its own)."""
    at = at or timezone.now()
    if kind not in ConfigKind.values:
        raise ValueError(f"unknown configuration kind {kind!r}")
    change = ConfigChange(kind=kind, code=code[:64], name=name[:100], before=before, after=after, actor=actor,
                          reason=reason[:200], scope_path=scope_path, at=at)
    change.save(force_insert=True)
    label = ConfigKind(kind).label
    audit_record(actor=actor, action=AuditAction.CONFIG, summary=f"修改{label}：{name or code}（{reason}）",
                 scope_path=scope_path, subject=f"configuration.{kind}:{code}"[:120],
                 detail={"before": before, "after": after}, at=at)
    return change


@transaction.atomic
def setting_set(*, key: str, region: Region, value: int | None, actor: User, reason: str, name: str = "",
                county_value: int | None = None, now: dt.datetime | None = None) -> Setting:
    """Set ``key`` for ``region``: the county's value, or a township's override (``value`` None lifts the
    override: the county's value applies there again). ``name`` says what the setting is about in the
    history (a visit cycle's category); ``county_value`` is the county's value where it is kept outside
    the settings (a visit cycle's category), for the history's "before"."""
    spec = spec_for(key)
    if spec is None:
        raise Invalid("未知的配置项")
    if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        raise Invalid("只能为区县或乡镇（街道）设置")
    require(can_edit_region(actor, region), "只有县级管理员或本乡镇综治中心可以修改这项配置")
    reason = change_reason(reason)
    if region.level == RegionLevel.COUNTY:
        if not spec.county_row:
            raise Invalid(f"区县的{spec.label}在其类别中修改")
        if value is None:
            raise Invalid(f"请填写{spec.label}", fields=field_error("value", "必填"))
    elif not spec.township:
        raise Invalid(f"{spec.label}由区县统一设置，乡镇不能另定")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or not spec.low <= value <= spec.high):
        raise Invalid(f"{spec.label}应为 {spec.low}～{spec.high} {spec.unit}之间的整数",
                      fields=field_error("value", "超出范围"))
    newest = (Setting.objects.filter(key=key, region=region).order_by("-created_at", "-id")
              .values_list("value", flat=True).first())
    if newest == value:
        raise Conflict("与现在的设置相同，无需修改" if value is not None else "该乡镇没有另行设置")
    in_force = setting_value(key, path=region.path, default=county_value)
    now = now or timezone.now()
    row = Setting(key=key, region=region, value=value, set_by=actor, reason=reason, created_at=now)
    row.save(force_insert=True)
    where = "区县" if region.level == RegionLevel.COUNTY else region.name
    config_change_record(
        kind=ConfigKind.SETTING, code=key, name=f"{name + ' · ' if name else ''}{spec.label}（{where}）",
        before={"value": newest, "in_force": in_force}, after={"value": value}, actor=actor, reason=reason,
        scope_path=region.path, at=now)
    return row
