import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from xiangzhi.cases.models import Case
from xiangzhi.front.uploads import UploadLimitHandler, UploadLimitMiddleware, UploadTooLarge


@pytest.fixture
def small_limit(settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every uploaded file would go to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def big_file(size=200 * 1024):
    return SimpleUploadedFile("12345.csv", b"x" * size)


@pytest.mark.django_db
def test_a_page_body_over_the_limit_answers_413_in_chinese_before_it_is_read(client, county, small_limit):
    client.force_login(county.users["township_staff"])
    response = client.post("/cases/hotline/", {"file": big_file()})
    assert response.status_code == 413
    page = response.content.decode()
    assert "上传内容过大" in page and "一次提交的内容（含文件）不能超过 64 KB" in page
    assert os.listdir(small_limit) == []
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_an_api_body_over_the_limit_answers_413_with_the_structured_error(client, county, small_limit):
    client.force_login(county.users["township_staff"])
    response = client.post("/api/v1/cases/hotline-import", {"file": big_file()})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "不能超过 64 KB" in response.json()["error"]["message"]
    assert os.listdir(small_limit) == []


@pytest.mark.django_db
def test_a_body_under_the_limit_goes_through(client, county, small_limit):
    client.force_login(county.users["township_staff"])
    response = client.post("/cases/hotline/", {"file": big_file(1024)})
    assert response.status_code == 200


def multipart_request(size):
    body = encode_multipart(BOUNDARY, {"file": big_file(size)})
    return RequestFactory().generic("POST", "/cases/hotline/", body, content_type=MULTIPART_CONTENT)


def test_the_handler_stops_a_body_longer_than_it_said_and_leaves_no_temporary_file(small_limit):
    request = multipart_request(200 * 1024)
    meta = {**request.META, "CONTENT_LENGTH": "1000"}  # the client lies about the length
    handlers = [UploadLimitHandler(request), MemoryFileUploadHandler(request), TemporaryFileUploadHandler(request)]
    request.upload_handlers = handlers
    parser = MultiPartParser(meta, io.BytesIO(request.body), handlers)
    with pytest.raises(UploadTooLarge):
        parser.parse()
    assert os.listdir(small_limit) == []


def test_a_request_the_handler_stopped_answers_413(small_limit):
    request = multipart_request(200 * 1024)
    request.META["CONTENT_LENGTH"] = "1000"  # past the middleware's first look; the stream still holds it all

    def view(request):
        request.FILES  # noqa: B018 - parsing is what is under test
        return HttpResponse("imported")

    response = UploadLimitMiddleware(convert_exception_to_response(view))(request)
    assert response.status_code == 413
    assert os.listdir(small_limit) == []
