"""Settings resolve where something happens (the township's own, else the county's, else the default),
only the right people change them, and every change is kept with its reason."""

import pytest
from django.test import override_settings

from xiangzhi.audit.models import AuditEvent
from xiangzhi.configuration.models import ConfigChange, Setting
from xiangzhi.configuration.selectors import config_change_list_for_user, setting_overrides, setting_value
from xiangzhi.configuration.services import config_change_record, setting_set
from xiangzhi.core.errors import Conflict, Forbidden, Invalid
from xiangzhi.core.models import AppendOnlyError

pytestmark = pytest.mark.django_db
KEY = "case.duplicate_meters"


@override_settings(CASE_DUPLICATE_METERS=150)
def test_a_value_comes_from_the_township_then_the_county_then_the_default(county):
    admin, town = county.users["county_admin"], county.users["township_staff"]
    grid_a = county.grid_a1_micro.path
    assert setting_value(KEY, path=grid_a) == 150
    setting_set(key=KEY, region=county.county, value=300, actor=admin, reason="全区统一")
    assert setting_value(KEY, path=grid_a) == 300
    setting_set(key=KEY, region=county.town_a, value=500, actor=town, reason="本镇村庄分散")
    assert setting_value(KEY, path=grid_a) == 500
    assert setting_value(KEY, path=county.grid_b1.path) == 300  # the other township keeps the county's
    assert setting_overrides(KEY) == {KEY: {county.county.path: 300, county.town_a.path: 500}}
    setting_set(key=KEY, region=county.town_a, value=None, actor=town, reason="恢复统一")
    assert setting_value(KEY, path=grid_a) == 300
    assert Setting.objects.filter(key=KEY).count() == 3  # the history: rows are only ever added


def test_who_may_set_what(county):
    users = county.users
    with pytest.raises(Forbidden):
        setting_set(key=KEY, region=county.county, value=300, actor=users["township_staff"], reason="试试")
    with pytest.raises(Forbidden):
        setting_set(key=KEY, region=county.town_b, value=300, actor=users["township_staff"], reason="试试")
    for role in ("village_cadre", "grid_worker", "resident", "department_staff"):
        with pytest.raises(Forbidden):
            setting_set(key=KEY, region=county.town_a, value=300, actor=users[role], reason="试试")
    setting_set(key=KEY, region=county.town_b, value=250, actor=users["county_admin"], reason="县里定")
    with pytest.raises(Invalid, match="只能为区县或乡镇"):
        setting_set(key=KEY, region=county.village_a1, value=300, actor=users["county_admin"], reason="试试")
    assert Setting.objects.count() == 1


def test_values_are_checked_and_a_repeat_is_refused(county):
    admin = county.users["county_admin"]
    for value, words in ((5, "10～5000 米"), (True, "10～5000 米"), (None, "请填写")):
        with pytest.raises(Invalid, match=words):
            setting_set(key=KEY, region=county.county, value=value, actor=admin, reason="试试")
    with pytest.raises(Invalid, match="请填写修改理由"):
        setting_set(key=KEY, region=county.county, value=300, actor=admin, reason="")
    with pytest.raises(Invalid, match="未知的配置项"):
        setting_set(key="no.such", region=county.county, value=3, actor=admin, reason="试试")
    with pytest.raises(Invalid, match="在其类别中修改"):
        setting_set(key="visit_cycle.petitioner", region=county.county, value=3, actor=admin, reason="试试")
    setting_set(key=KEY, region=county.county, value=300, actor=admin, reason="全区统一")
    with pytest.raises(Conflict):
        setting_set(key=KEY, region=county.county, value=300, actor=admin, reason="再存一次")
    with pytest.raises(Conflict, match="没有另行设置"):
        setting_set(key=KEY, region=county.town_a, value=None, actor=admin, reason="取消")


def test_every_change_is_kept_with_its_before_and_after_and_in_the_audit_trail(county):
    admin = county.users["county_admin"]
    setting_set(key=KEY, region=county.county, value=300, actor=admin, reason="全区统一")
    setting_set(key=KEY, region=county.town_a, value=500, actor=county.users["township_staff"], reason="村庄分散")
    first, second = ConfigChange.objects.order_by("id")
    assert (first.before, first.after, first.scope_path) == ({"value": None, "in_force": 200}, {"value": 300},
                                                             county.county.path)
    assert (second.before, second.after, second.scope_path) == ({"value": None, "in_force": 300}, {"value": 500},
                                                                county.town_a.path)
    assert "疑似重复件距离（下洼镇）" in second.name
    events = AuditEvent.objects.filter(action="config").order_by("id")
    assert [e.actor for e in events] == [admin, county.users["township_staff"]]
    assert events[1].scope_path == county.town_a.path and "村庄分散" in events[1].summary
    with pytest.raises(AppendOnlyError):
        first.delete()
    with pytest.raises(AppendOnlyError):
        Setting.objects.filter(key=KEY).update(value=1)


def test_who_reads_which_changes(county):
    admin = county.users["county_admin"]
    setting_set(key=KEY, region=county.county, value=300, actor=admin, reason="全区统一")
    setting_set(key=KEY, region=county.town_a, value=500, actor=county.users["township_staff"], reason="甲镇")
    setting_set(key=KEY, region=county.town_b, value=100, actor=county.users["township_staff_b"], reason="乙镇")
    config_change_record(kind="holidays", code="2027", name="2027年节假日", before=[], after=[], actor=admin,
                         reason="通知", scope_path=county.county.path)

    def reasons(role):
        return {c.reason for c in config_change_list_for_user(county.users[role])}

    assert reasons("county_admin") == {"全区统一", "甲镇", "乙镇", "通知"}
    assert reasons("township_staff") == {"全区统一", "甲镇", "通知"}
    assert reasons("township_staff_b") == {"全区统一", "乙镇", "通知"}
    for role in ("village_cadre", "grid_worker", "resident", "department_staff"):
        assert reasons(role) == set()
    assert {c.reason for c in config_change_list_for_user(admin, kind="holidays")} == {"通知"}
    assert config_change_list_for_user(admin, kind="nonsense") == []
