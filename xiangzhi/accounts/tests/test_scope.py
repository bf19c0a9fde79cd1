import pytest

from xiangzhi.accounts.scope import scope_of
from xiangzhi.regions.services import grid_unassign


@pytest.mark.django_db
def test_each_role_stands_on_its_own_node(county):
    u = county.users
    assert scope_of(u["county_admin"]).paths == (county.county.path,)
    assert scope_of(u["township_staff"]).paths == (county.town_a.path,)
    assert scope_of(u["village_cadre"]).paths == (county.village_a1.path,)
    assert scope_of(u["points_recorder"]).paths == (county.village_a1.path,)
    assert scope_of(u["grid_worker"]).paths == (county.grid_a1.path,)
    assert scope_of(u["grid_guide"]).paths == (county.grid_a2.path,)
    assert scope_of(u["resident"]).household_id == county.households["a1"].id
    dept = scope_of(u["department_staff"])
    assert dept.paths == () and dept.department_id == county.department.id


@pytest.mark.django_db
def test_an_ended_assignment_ends_the_scope(county):
    worker = county.users["grid_worker_b"]
    assignment = worker.grid_assignments.get()
    grid_unassign(assignment=assignment)
    worker.refresh_from_db()
    assert scope_of(worker).is_empty


@pytest.mark.django_db
def test_a_scope_covers_its_subtree_only(county):
    scope = scope_of(county.users["township_staff"])
    assert scope.covers_path(county.grid_a1_micro.path)
    assert not scope.covers_path(county.grid_b1.path)
    assert not scope.covers_path(county.county.path)
