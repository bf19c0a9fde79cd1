"""Reading the configuration: a setting's value where something happens (the township's override, else
the county's, else the default), every township's overrides at once for lists that span a county, a
setting's state and history for its page, and the configuration changes a user may read."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from xiangzhi.accounts.models import AnyUser, Role, User
from xiangzhi.configuration.keys import SPECS, VISIT_CYCLE_PREFIX, Spec, spec_for, visit_cycle_key
from xiangzhi.configuration.models import ConfigChange, ConfigKind, Setting
from xiangzhi.configuration.rules import can_read
from xiangzhi.core.errors import NotFound
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

__all__ = [
    "SPECS", "VISIT_CYCLE_PREFIX", "SettingState", "Spec", "config_change_list_for_user", "county_for_user",
    "setting_overrides", "setting_state", "setting_value", "setting_values", "spec_for", "township_list_for_user",
    "visit_cycle_key",
]


def _newest(rows: QuerySet[Setting]) -> dict[tuple[str, str], Any]:
    """(key, region path) → the newest value (None for a lifted override)."""
    out: dict[tuple[str, str], Any] = {}
    for key, path, value in rows.order_by("-created_at", "-id").values_list("key", "region__path", "value"):
        out.setdefault((key, path), value)
    return out


def setting_values(keys: list[str], *, path: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values in force at ``path`` (any region or grid path), in one small query: for each key, the
    deepest region above the path that has one — a township's override before the county's value —
    else ``defaults[key]``, else the setting's own default."""
    newest = _newest(Setting.objects.filter(key__in=keys, region__path__in=ancestor_paths(path)))
    out: dict[str, Any] = {}
    for key in keys:
        found = [(p, v) for (k, p), v in newest.items() if k == key and v is not None]
        if found:
            out[key] = max(found, key=lambda pv: len(pv[0]))[1]
        elif defaults and defaults.get(key) is not None:
            out[key] = defaults[key]
        else:
            spec = spec_for(key)
            out[key] = spec.default() if spec is not None and spec.default is not None else None
    return out


def setting_value(key: str, *, path: str, default: Any = None) -> Any:
    """``setting_values`` for one key."""
    return setting_values([key], path=path, defaults={key: default})[key]


def setting_overrides(prefix: str) -> dict[str, dict[str, Any]]:
    """Every setting whose key starts with ``prefix`` that is set somewhere: key → {region path: value}
    (lifted overrides left out). For a list over many townships at once (due visits of a county)."""
    out: dict[str, dict[str, Any]] = {}
    for (key, path), value in _newest(Setting.objects.filter(key__startswith=prefix)).items():
        if value is not None:
            out.setdefault(key, {})[path] = value
    return out


@dataclass
class SettingState:
    spec: Spec
    county: Region
    county_value: Any  # the county's (or the default, when the county never set one)
    county_set: bool  # the county set it (rather than the default applying)
    overrides: list[tuple[Region, Any]] = field(default_factory=list)  # townships whose own value applies
    history: list[Setting] = field(default_factory=list)


def setting_state(key: str, *, county: Region, county_value: Any = None, townships: list[Region] | None = None,
                  history: int = 50) -> SettingState:
    """The county's value, the townships' overrides in force and the newest rows of history, for the
    setting's page (``townships`` limits both to those, for a township's staff)."""
    spec = spec_for(key)
    if spec is None:
        raise NotFound()
    rows = Setting.objects.filter(key=key, region__path__startswith=county.path)
    if townships is not None:
        rows = rows.filter(Q(region=county) | Q(region__in=townships))
    newest = _newest(rows)
    own = newest.get((key, county.path))
    if spec.county_row and own is not None:
        value, is_set = own, True
    else:
        value = county_value if county_value is not None else (spec.default() if spec.default else None)
        is_set = False
    paths = {p: v for (_, p), v in newest.items() if p != county.path and v is not None}
    regions = {r.path: r for r in Region.objects.filter(path__in=paths).order_by("code")}
    return SettingState(
        spec=spec, county=county, county_value=value, county_set=is_set,
        overrides=[(regions[p], paths[p]) for p in sorted(regions, key=lambda p: regions[p].code)],
        history=list(rows.select_related("region", "set_by").order_by("-created_at", "-id")[:history]),
    )


def county_for_user(user: AnyUser) -> Region | None:
    """The county a configuring user stands in (a superuser: the first county)."""
    if not isinstance(user, User) or not can_read(user):
        return None
    if user.is_superuser and user.region_id is None:
        return Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    region = user.region
    if region is None:
        return None
    return Region.objects.filter(level=RegionLevel.COUNTY, path__in=ancestor_paths(region.path)).first()


def township_list_for_user(user: AnyUser) -> list[Region]:
    """The townships whose overrides a user may read and set: every township of the county for the county
    admin, his own for township staff."""
    county = county_for_user(user)
    if county is None or not isinstance(user, User):
        return []
    if user.is_superuser or user.role == Role.COUNTY_ADMIN:
        return list(Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=county.path)
                    .order_by("code").defer("boundary"))
    region = user.region
    return [region] if region is not None and region.level == RegionLevel.TOWNSHIP else []


def config_change_list_for_user(user: AnyUser, *, kind: str | None = None, code: str | None = None,
                                limit: int | None = 200) -> list[ConfigChange]:
    """Configuration changes a user may read, newest first: the county admin every change in his county;
    township staff the county's own changes (they apply to him) and his township's, never another
    township's overrides."""
    county = county_for_user(user)
    if county is None or not isinstance(user, User):
        return []
    if user.is_superuser or user.role == Role.COUNTY_ADMIN:
        where = Q(scope_path__startswith=county.path)
    else:
        own = user.region
        assert own is not None  # can_read
        where = Q(scope_path=county.path) | Q(scope_path__startswith=own.path)
    qs = ConfigChange.objects.filter(where).select_related("actor").order_by("-at", "-id")
    if kind:
        if kind not in ConfigKind.values:
            return []
        qs = qs.filter(kind=kind)
    if code is not None:
        qs = qs.filter(code=code)
    return list(qs[:limit] if limit else qs)
