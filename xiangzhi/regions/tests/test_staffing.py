import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role, User
from xiangzhi.core import sms
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.regions.models import Grid, GridAssignment
from xiangzhi.regions.selectors import grids_without_worker
from xiangzhi.regions.services import grid_assign, grid_assign_new_account, grid_create, grid_unassign
from xiangzhi.regions.tests.test_api import as_user

TODAY = timezone.localdate()


def _worker(name="新网格员", role=Role.GRID_WORKER):
    return UserFactory(role=role, full_name=name)


# --- services ------------------------------------------------------------------------------------


def test_a_second_chief_is_refused_and_nothing_is_written(county):
    staff = county.users["township_staff"]
    other = _worker("李四", Role.GRID_CHIEF)
    with pytest.raises(Conflict, match="已有在岗网格长"):
        grid_assign(grid=county.grid_a1, user=other, duty="chief", actor=staff)
    assert county.grid_a1.assignments.filter(duty="chief", ended_on__isnull=True).count() == 1
    assert not other.grid_assignments.exists()


def test_a_chief_may_follow_once_the_first_is_ended(county):
    staff = county.users["township_staff"]
    chief = county.grid_a1.assignments.get(duty="chief")
    grid_unassign(assignment=chief, ended_on=TODAY, reason="调任", actor=staff)
    successor = _worker("李四", Role.GRID_CHIEF)
    assignment = grid_assign(grid=county.grid_a1, user=successor, duty="chief", actor=staff)
    assert assignment.ended_on is None


def test_a_guide_on_a_third_grid_is_refused(county):
    admin = county.users["county_admin"]
    guide = county.users["grid_guide"]  # already guides grid_a2
    grid_assign(grid=county.grid_a1, user=guide, duty="guide", actor=admin)
    with pytest.raises(Conflict, match="最多指导 2 个网格"):
        grid_assign(grid=county.grid_b1, user=guide, duty="guide", actor=admin)
    assert guide.grid_assignments.filter(ended_on__isnull=True).count() == 2


def test_the_same_person_and_duty_twice_is_refused(county):
    with pytest.raises(Conflict, match="已是该网格的专职网格员"):
        grid_assign(grid=county.grid_a1, user=county.users["grid_worker"], duty="full_time",
                    actor=county.users["township_staff"])


def test_a_grid_outside_the_scope_is_not_found(county):
    with pytest.raises(NotFound):
        grid_assign(grid=county.grid_b1_unstaffed, user=_worker(), duty="full_time",
                    actor=county.users["township_staff"])  # town A staff, grid in town B
    assert not GridAssignment.objects.filter(grid=county.grid_b1_unstaffed).exists()


def test_a_role_that_does_not_manage_grids_is_forbidden(county):
    with pytest.raises(Forbidden):
        grid_assign(grid=county.grid_a2, user=_worker(), duty="full_time", actor=county.users["village_cadre"])


@pytest.mark.parametrize(("role", "duty"), [(Role.GRID_WORKER, "chief"), (Role.GRID_GUIDE, "full_time"),
                                            (Role.RESIDENT, "part_time"), (Role.GRID_CHIEF, "guide")])
def test_a_role_that_does_not_fit_the_duty_is_refused(county, role, duty):
    with pytest.raises(Invalid, match="不能担任"):
        grid_assign(grid=county.grid_a2, user=_worker(role=role), duty=duty, actor=county.users["county_admin"])


def test_ending_twice_is_refused(county):
    staff = county.users["township_staff"]
    assignment = county.grid_a1.assignments.get(duty="full_time")
    grid_unassign(assignment=assignment, ended_on=TODAY, reason="外出务工", actor=staff)
    with pytest.raises(Conflict, match="不能再次结束"):
        grid_unassign(assignment=assignment, ended_on=TODAY, reason="外出务工", actor=staff)
    assignment.refresh_from_db()
    assert (assignment.ended_on, assignment.end_reason) == (TODAY, "外出务工")


def test_an_end_before_the_start_or_without_a_reason_is_refused(county):
    staff = county.users["township_staff"]
    assignment = county.grid_a1.assignments.get(duty="full_time")
    with pytest.raises(Invalid, match="不能早于起始日期"):
        grid_unassign(assignment=assignment, ended_on=assignment.started_on - dt.timedelta(days=1), reason="x",
                      actor=staff)
    with pytest.raises(Invalid, match="请填写结束原因"):
        grid_unassign(assignment=assignment, ended_on=TODAY, reason=" ", actor=staff)
    assignment.refresh_from_db()
    assert assignment.ended_on is None


def test_a_new_worker_gets_an_account_a_forced_password_change_and_an_sms(county):
    sms.outbox.clear()
    made = grid_assign_new_account(grid=county.grid_b1_unstaffed, duty="full_time", full_name="孙立新",
                                   phone="139 0000 1234", actor=county.users["township_staff_b"])
    user = User.objects.get(pk=made.assignment.user_id)
    assert made.sms_sent
    assert (user.full_name, user.role, user.must_change_password) == ("孙立新", Role.GRID_WORKER, True)
    (message,) = sms.outbox
    assert message.phone == "13900001234"
    assert user.username in message.text
    temporary = message.text.split("临时密码：")[1].split("。")[0]
    assert user.check_password(temporary)
    # Kept only as a hash: no column of the account holds the password or the number in clear.
    row = User.objects.filter(pk=user.pk).values().get()
    assert not any(temporary in str(v) for v in row.values())
    assert "13900001234" not in str(row)
    assert county.grid_b1_unstaffed not in grids_without_worker(county.users["township_staff_b"])


def test_a_refused_new_worker_leaves_no_account_and_sends_nothing(county):
    sms.outbox.clear()
    grid_assign_new_account(grid=county.grid_b1_unstaffed, duty="chief", full_name="孙立新", phone="13900001234",
                            actor=county.users["county_admin"])
    before = User.objects.count()
    with pytest.raises(Conflict, match="已有在岗网格长"):
        grid_assign_new_account(grid=county.grid_b1_unstaffed, duty="chief", full_name="周强", phone="13900005678",
                                actor=county.users["county_admin"])
    with pytest.raises(Invalid, match="手机号"):
        grid_assign_new_account(grid=county.grid_b1_unstaffed, duty="part_time", full_name="周强", phone="12345",
                                actor=county.users["county_admin"])
    with pytest.raises(Conflict, match="已有账号"):
        grid_assign_new_account(grid=county.grid_b1_unstaffed, duty="part_time", full_name="周强",
                                phone="13900001234", actor=county.users["county_admin"])
    assert User.objects.count() == before
    assert len(sms.outbox) == 1


def test_an_inactive_grid_takes_no_staff(county):
    grid = grid_create(region=county.village_a2, name="停用网格")
    Grid.objects.filter(pk=grid.pk).update(is_active=False)
    grid.refresh_from_db()
    with pytest.raises(Invalid, match="已停用"):
        grid_assign(grid=grid, user=_worker(), duty="full_time", actor=county.users["county_admin"])


# --- pages ---------------------------------------------------------------------------------------


def test_the_staffing_page_lists_current_and_past_staff_by_name(client, county):
    staff = county.users["township_staff"]
    worker = county.grid_a1.assignments.get(duty="full_time")
    grid_unassign(assignment=worker, ended_on=TODAY, reason="外出务工", actor=staff)
    page = as_user(client, staff).get(f"/grids/{county.grid_a1.code}/staff/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="staff-row"') == 2
    assert county.users["grid_chief"].full_name in html and county.users["grid_worker"].full_name in html
    assert "外出务工" in html
    assert "worker_a1" not in html  # people by name, never by login


def test_the_grid_page_links_to_staffing_for_managers_only(client, county):
    url = f"/grids/{county.grid_a1.code}/"
    link = 'data-testid="grid-staff-link"'
    assert link in as_user(client, county.users["township_staff"]).get(url).content.decode()
    assert link not in as_user(client, county.users["village_cadre"]).get(url).content.decode()


def test_the_alert_leads_to_the_assign_form(client, county):
    html = as_user(client, county.users["township_staff_b"]).get("/alerts/unstaffed/").content.decode()
    assert f'href="/grids/{county.grid_b1_unstaffed.code}/staff/#assign"' in html


def test_assigning_from_the_page_closes_the_alert_and_shows_no_password(client, county):
    sms.outbox.clear()
    c = as_user(client, county.users["township_staff_b"])
    url = f"/grids/{county.grid_b1_unstaffed.code}/staff/"
    response = c.post(url, {"duty": "full_time", "started_on": TODAY.isoformat(), "user": "",
                            "full_name": "孙立新", "phone": "13900001234"}, follow=True)
    html = response.content.decode()
    assert "短信发送到其手机" in html
    temporary = sms.outbox[-1].text.split("临时密码：")[1].split("。")[0]
    assert temporary not in html
    assert county.grid_b1_unstaffed.code not in c.get("/alerts/unstaffed/").content.decode()


def test_a_refusal_on_the_page_is_in_chinese(client, county):
    c = as_user(client, county.users["township_staff"])
    response = c.post(f"/grids/{county.grid_a1.code}/staff/", {
        "duty": "chief", "started_on": TODAY.isoformat(), "full_name": "周强", "phone": "13900005678"})
    assert response.status_code == 409
    assert "一个网格只能有一名网格长" in response.content.decode()
    bad_date = c.post(f"/grids/{county.grid_a1.code}/staff/", {
        "duty": "part_time", "started_on": "明天", "full_name": "周强", "phone": "13900005678"})
    assert bad_date.status_code == 422 and "起始日期不正确" in bad_date.content.decode()
    assert not User.objects.filter(full_name="周强").exists()


def test_picking_an_account_outside_the_scope_is_not_found(client, county):
    c = as_user(client, county.users["township_staff"])
    response = c.post(f"/grids/{county.grid_a2.code}/staff/", {
        "duty": "full_time", "started_on": TODAY.isoformat(), "user": county.users["grid_worker_b"].pk})
    assert response.status_code == 404
    assert not county.users["grid_worker_b"].grid_assignments.filter(grid=county.grid_a2).exists()


def test_ending_from_the_page_and_twice(client, county):
    c = as_user(client, county.users["township_staff"])
    assignment = county.grid_a1.assignments.get(duty="full_time")
    url = f"/grids/{county.grid_a1.code}/staff/{assignment.pk}/end/"
    first = c.post(url, {"ended_on": TODAY.isoformat(), "reason": "辞职"}, follow=True)
    assert "已结束" in first.content.decode()
    again = c.post(url, {"ended_on": TODAY.isoformat(), "reason": "辞职"}, follow=True)
    assert "不能再次结束" in again.content.decode()
    # An assignment of another grid is not reached through this grid's address.
    other = county.grid_b1.assignments.get()
    assert as_user(client, county.users["county_admin"]).post(
        f"/grids/{county.grid_a1.code}/staff/{other.pk}/end/", {"reason": "x"}).status_code == 404
