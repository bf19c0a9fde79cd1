import pytest
from django.contrib.auth.models import Permission

from xiangzhi.open311.models import Open311Client


@pytest.mark.django_db
def test_staff_list_and_switch_off_clients_in_their_scope_but_cannot_issue_keys_there(client, county, hotline,
                                                                                      other_client):
    staff = county.users["township_staff"]
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="open311"))
    client.force_login(staff)
    page = client.get("/admin/open311/open311client/").content.decode()
    assert "12345热线平台" in page and "古城镇小程序" not in page
    assert hotline.client.key_digest not in client.get(f"/admin/open311/open311client/{hotline.client.pk}/change/"
                                                       ).content.decode()
    assert client.get("/admin/open311/open311client/add/").status_code == 403
    assert client.get(f"/admin/open311/open311client/{other_client.client.pk}/change/").status_code in (302, 404)
    response = client.post(f"/admin/open311/open311client/{hotline.client.pk}/change/",
                           {"name": "12345热线平台"})  # "is_active" unticked
    assert response.status_code == 302
    assert Open311Client.objects.get(pk=hotline.client.pk).is_active is False
