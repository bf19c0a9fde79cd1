import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xiangzhi.cases.models import Case, Photo, Status


def photo_file(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.mark.django_db
def test_a_villager_reports_through_the_form_and_a_double_submit_makes_one_case(client, county):
    client.force_login(county.users["resident"])
    assert "随手拍" in client.get("/cases/new/").content.decode()
    data = {"category": "road_light", "title": "村口路灯不亮", "description": "晚上很黑", "lon": "118.005",
            "lat": "37.705", "address": "东村一组", "submission_id": "form-1"}
    response = client.post("/cases/new/", {**data, "photos": [photo_file()]}, follow=True)
    page = response.content.decode()
    assert "已上报，编号" in page and "村口路灯不亮" in page
    client.post("/cases/new/", {**data, "photos": [photo_file()]})
    assert Case.objects.count() == 1 and Photo.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_photo_keeps_the_form_and_says_why(client, county):
    client.force_login(county.users["resident"])
    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    page = client.post("/cases/new/", {"category": "road_light", "title": "路灯", "submission_id": "f2",
                                       "photos": [bad]}).content.decode()
    assert "文件不是有效的图片" in page and 'value="路灯"' in page
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_actions_on_the_page_follow_the_rules(client, county):
    client.force_login(county.users["resident"])
    client.post("/cases/new/", {"category": "road_light", "title": "路灯", "lon": "118.005", "lat": "37.705",
                                "submission_id": "f3"})
    case = Case.objects.get()
    client.force_login(county.users["grid_worker"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-action="accept"' in page and 'data-action="supervise"' not in page
    response = client.post(f"/cases/{case.pk}/act/accept_self/", follow=True)
    assert "已受理并自办" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    refused = client.post(f"/cases/{case.pk}/act/handle/", {"note": ""}, follow=True).content.decode()
    assert "请填写处置情况" in refused
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/act/handle/", {"note": "x"}).status_code == 404


@pytest.mark.django_db
def test_photos_are_served_only_to_those_who_see_the_case(client, county):
    client.force_login(county.users["resident"])
    client.post("/cases/new/", {"category": "road_light", "title": "路灯", "lon": "118.005", "lat": "37.705",
                                "submission_id": "f4", "photos": [photo_file()]})
    photo = Photo.objects.get()
    assert client.get(f"/cases/photos/{photo.pk}/").status_code == 200
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/cases/photos/{photo.pk}/").status_code == 404
    client.force_login(county.users["grid_worker"])
    assert client.get(f"/cases/photos/{photo.pk}/thumb/").status_code == 200


@pytest.mark.django_db
def test_inbox_and_list_pages(client, county):
    client.force_login(county.users["resident"])
    client.post("/cases/new/", {"category": "road_light", "title": "路灯坏了", "lon": "118.005", "lat": "37.705",
                                "submission_id": "f5"})
    client.force_login(county.users["grid_worker"])
    assert "路灯坏了" in client.get("/cases/inbox/").content.decode()
    client.force_login(county.users["village_cadre"])
    assert "路灯坏了" not in client.get("/cases/inbox/").content.decode()  # a grid case, not yet handled
    assert "路灯坏了" in client.get("/cases/").content.decode()


@pytest.mark.django_db
def test_the_duplicate_box_on_the_case_page_lists_only_cases_the_viewer_may_see(client, county):
    from xiangzhi.cases import services
    from xiangzhi.cases.models import Category

    light = Category.objects.get(code="road_light")
    other = services.case_report(category=light, title="网格员巡查：路灯不亮", channel="worker", lon=118.005,
                                 lat=37.705, reporter=county.users["grid_worker"], is_proactive=True).case
    mine = services.case_report(category=light, title="村口路灯不亮", channel="resident", lon=118.0052,
                                lat=37.705, reporter=county.users["resident"]).case
    client.force_login(county.users["resident"])
    page = client.get(f"/cases/{mine.pk}/").content.decode()
    assert "村口路灯不亮" in page and "疑似重复" not in page and other.number not in page
    client.force_login(county.users["grid_worker"])
    page = client.get(f"/cases/{mine.pk}/").content.decode()
    assert "疑似重复" in page and other.number in page
