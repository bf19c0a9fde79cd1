import pytest

from tests.factories import square


@pytest.fixture
def admin_client_for(client):
    def login(user):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        from django.contrib.auth.models import Permission

        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="regions"))
        client.force_login(user)
        return client

    return login


@pytest.mark.django_db
def test_admin_lists_only_the_scope(admin_client_for, county):
    c = admin_client_for(county.users["township_staff_b"])
    page = c.get("/admin/regions/grid/").content.decode()
    assert county.grid_b1.code in page and county.grid_a1.code not in page
    assert c.get(f"/admin/regions/grid/{county.grid_a1.pk}/change/").status_code in (302, 404)


BOWTIE = '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}'


@pytest.mark.django_db
def test_admin_refuses_an_invalid_polygon_for_a_new_grid(admin_client_for, county):
    c = admin_client_for(county.users["township_staff_b"])
    data = {"code": f"{county.village_b1.code}009", "name": "新网格", "level": 3, "region": county.village_b1.pk,
            "parent": "", "boundary": BOWTIE, "is_active": "on"}
    response = c.post("/admin/regions/grid/add/", data)
    assert response.status_code == 200 and "边线自相交" in response.content.decode()
    assert not county.village_b1.grids.filter(name="新网格").exists()


@pytest.mark.django_db
def test_admin_does_not_redraw_a_drawn_boundary(admin_client_for, county):
    """Redrawing goes through the boundary page (checks, revision row, households to move)."""
    c = admin_client_for(county.users["township_staff_b"])
    grid = county.grid_b1
    data = {"code": grid.code, "name": "北村一网格", "level": grid.level, "region": grid.region_id, "parent": "",
            "boundary": BOWTIE, "is_active": "on"}
    response = c.post(f"/admin/regions/grid/{grid.pk}/change/", data)
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.name == "北村一网格" and grid.boundary == square(118.10, 37.70, 0.02)
