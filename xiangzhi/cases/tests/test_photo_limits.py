"""Photos on a report: how many a request may carry, and a picture too large to decode."""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xiangzhi.cases.models import Case, Photo

FORM = {"category": "road_light", "title": "村口路灯不亮", "lon": "118.005", "lat": "37.705"}
BODY = {"category": "road_light", "title": "村口路灯不亮", "lon": 118.005, "lat": 37.705}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def files(n, data=None):
    return [SimpleUploadedFile(f"p{i}.jpg", data or jpeg(), content_type="image/jpeg") for i in range(n)]


@pytest.mark.django_db
def test_the_form_takes_six_photos_and_refuses_seven(client, county, settings):
    assert settings.CASE_PHOTO_MAX_COUNT == 6
    client.force_login(county.users["resident"])
    page = client.post("/cases/new/", {**FORM, "submission_id": "s7", "photos": files(7)}).content.decode()
    assert "最多上传 6 张照片" in page
    assert Case.objects.count() == 0
    client.post("/cases/new/", {**FORM, "submission_id": "s6", "photos": files(6)})
    assert Case.objects.count() == 1 and Photo.objects.count() == 6


@pytest.mark.django_db
def test_the_api_refuses_seven_photos_before_decoding_any(client, county):
    client.force_login(county.users["resident"])
    photos = [base64.b64encode(jpeg()).decode()] * 7
    response = client.post("/api/v1/cases", {**BODY, "photos": photos}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"].endswith("photos")
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_a_decompression_bomb_on_the_form_and_the_api_is_refused_in_chinese(client, county):
    client.force_login(county.users["resident"])
    page = client.post("/cases/new/", {**FORM, "submission_id": "b1", "photos": files(1, bomb())}).content.decode()
    assert "第 1 张照片：图片尺寸过大" in page
    response = client.post("/api/v1/cases", {**BODY, "photos": [base64.b64encode(bomb()).decode()]},
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("第 1 张照片：图片尺寸过大")
    assert Case.objects.count() == 0
