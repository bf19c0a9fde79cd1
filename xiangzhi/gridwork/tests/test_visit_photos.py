"""Photos on a visit: how many and how large, checked before any picture is decoded; kept without
EXIF like case photos; shown on the person's visit history to those whose scope holds the person."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from xiangzhi.gridwork import services, views
from xiangzhi.gridwork.models import Visit, VisitPhoto
from xiangzhi.gridwork.tests.helpers import key_person
from xiangzhi.lib.photos import process

pytestmark = pytest.mark.django_db


def jpeg(size=(60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def files(n, data=None):
    return [SimpleUploadedFile(f"p{i}.jpg", data or jpeg(), content_type="image/jpeg") for i in range(n)]


def form(**extra):
    return {"outcome": "normal", "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "notes": "家中安好", **extra}


def test_a_visit_keeps_its_photos_and_the_history_shows_them(client, county):
    person = key_person(county.households["a1"])
    worker = county.users["grid_worker"]
    client.force_login(worker)
    url = f"/work/visits/new/{person.pk}/"
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and "最多 3 张" in page and "data-offline-form" in page
    response = client.post(url, form(submission_id="v1", photos=files(2)))
    assert response.status_code == 302
    visit = Visit.objects.get()
    photos = list(visit.photos.all())
    assert len(photos) == 2 and all(p.width == 60 and p.size_bytes > 0 for p in photos)

    history = client.get(url).content.decode().split('data-testid="visit-history"')[1]
    assert f'src="/work/visits/photos/{photos[0].pk}/thumb/"' in history and 'alt="走访照片 2"' in history
    served = client.get(f"/work/visits/photos/{photos[0].pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"

    # The village cadre of the same village sees them; another township's worker and a villager do not.
    client.force_login(county.users["village_cadre"])
    assert client.get(f"/work/visits/photos/{photos[0].pk}/thumb/").status_code == 200
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/work/visits/photos/{photos[0].pk}/").status_code == 404
    client.force_login(county.users["resident"])
    assert client.get(f"/work/visits/photos/{photos[0].pk}/").status_code == 403


def test_too_many_or_too_large_photos_are_refused_before_any_is_decoded(client, county, settings, monkeypatch):
    person = key_person(county.households["a1"])
    client.force_login(county.users["grid_worker"])
    decoded = []
    monkeypatch.setattr(views, "process", lambda data, **kw: decoded.append(1) or process(data, **kw))
    url = f"/work/visits/new/{person.pk}/"

    page = client.post(url, form(submission_id="v4", photos=files(4))).content.decode()
    assert "最多上传 3 张照片" in page and 'data-testid="photo-error"' in page

    settings.CASE_PHOTO_MAX_BYTES = 1024
    big = jpeg((800, 600))
    assert len(big) > 1024
    page = client.post(url, form(submission_id="vb", photos=[*files(1), *files(1, big)])).content.decode()
    assert "第 2 张照片过大" in page
    assert decoded == [] and Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0


def test_a_file_that_is_no_picture_is_refused_in_chinese(client, county):
    person = key_person(county.households["a1"])
    client.force_login(county.users["grid_worker"])
    page = client.post(f"/work/visits/new/{person.pk}/",
                       form(submission_id="vx", photos=files(1, b"not a picture"))).content.decode()
    assert "第 1 张照片：文件不是有效的图片" in page and Visit.objects.count() == 0


def test_the_service_refuses_more_photos_than_a_visit_takes(county):
    person = key_person(county.households["a1"])
    photo = process(jpeg())
    with pytest.raises(services.GridworkError, match="最多上传 3 张照片"):
        services.visit_record(key_person=person, visitor=county.users["grid_worker"], visited_at=timezone.now(),
                              notes="", outcome="normal", photos=[photo] * 4)
    assert Visit.objects.count() == 0


def test_a_resent_visit_is_recorded_once(client, county):
    """The offline queue may send the same form twice: its submission id makes one visit."""
    person = key_person(county.households["a1"])
    client.force_login(county.users["grid_worker"])
    url = f"/work/visits/new/{person.pk}/"
    first = client.post(url, form(submission_id="same", photos=files(1)))
    again = client.post(url, form(submission_id="same", photos=files(1)))
    assert first.status_code == again.status_code == 302
    assert Visit.objects.count() == 1 and VisitPhoto.objects.count() == 1
    other = key_person(county.households["a1_micro"])
    page = client.post(f"/work/visits/new/{other.pk}/", form(submission_id="same")).content.decode()
    assert "该提交编号已用于另一次走访" in page and Visit.objects.count() == 1


def test_a_visit_outside_the_scope_or_by_a_wrong_role_is_refused(client, county):
    person = key_person(county.households["a1"])
    client.force_login(county.users["grid_worker_b"])
    assert client.post(f"/work/visits/new/{person.pk}/", form(photos=files(1))).status_code == 404
    client.force_login(county.users["resident"])
    assert client.post(f"/work/visits/new/{person.pk}/", form(photos=files(1))).status_code == 403
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0
