import io

import pytest
from PIL import Image

from xiangzhi.inspections import services
from xiangzhi.inspections.models import Finding, Inspection, TaskState
from xiangzhi.inspections.tests.conftest import IN_A1, inspected

pytestmark = pytest.mark.django_db


def photo_file():
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 180, 160)).save(buf, "JPEG")
    buf.name = "finding.jpg"
    buf.seek(0)
    return buf


def test_inspector_walks_the_month_on_pages(client, c):
    client.force_login(c.users["inspector"])
    assert client.get("/").url == "/inspections/"
    home = client.get("/inspections/").content.decode()
    assert "东村" in home and "西村" in home and "南村" not in home and "开始排查" in home
    r = client.post("/inspections/start/", {"village": c.village_a1.code})
    inspection = Inspection.objects.get()
    assert r.url == f"/inspections/{inspection.pk}/"
    page = client.get(r.url).content.decode()
    assert "在村里定位" in page and "违法建设" in page
    client.post(f"/inspections/{inspection.pk}/fix/", {"lon": "118.05", "lat": "37.70"})  # 西村, refused
    assert "不在东村范围内" in client.get(r.url).content.decode()
    client.post(f"/inspections/{inspection.pk}/fix/", {"lon": str(IN_A1[0]), "lat": str(IN_A1[1])})
    client.post(f"/inspections/{inspection.pk}/findings/",
                {"item_code": "building_illegal", "text": "三组未批先建", "photos": photo_file()})
    client.post(f"/inspections/{inspection.pk}/finish/", {"note": "全村走了一遍"})
    finding = Finding.objects.get()
    assert finding.state == TaskState.OPEN and finding.photos.count() == 1
    assert client.get(f"/inspections/photos/{finding.photos.get().pk}/thumb/").status_code == 200
    done = client.get(r.url).content.decode()
    assert "三组未批先建" in done and "完成排查并交办" not in done
    # Another township's staff neither sees the inspection nor its photo.
    client.force_login(c.users["township_staff_b"])
    assert client.get(r.url).status_code == 404
    assert client.get(f"/inspections/photos/{finding.photos.get().pk}/").status_code == 404
    assert client.get(f"/inspections/tasks/{finding.pk}/").status_code == 404


def test_village_reports_done_and_township_board_shows_overdue(client, c):
    inspected(c, items=("pollution_burning",))
    finding = Finding.objects.get()
    client.force_login(c.users["village_cadre"])
    assert "村口" not in client.get("/inspections/tasks/").content.decode()
    assert "发现问题" in client.get("/inspections/tasks/").content.decode()
    assert client.get("/inspections/board/").status_code == 403
    assert client.post("/inspections/start/", {"village": c.village_a1.code}).status_code == 403
    client.post(f"/inspections/tasks/{finding.pk}/complete/", {"note": "已清理完毕", "photos": photo_file()})
    finding.refresh_from_db()
    assert finding.state == TaskState.DONE
    client.force_login(c.users["inspector"])
    assert "发现问题" in client.get("/inspections/tasks/").content.decode()  # to verify
    client.post(f"/inspections/tasks/{finding.pk}/verify/", {"accept": "0", "note": "不彻底"})
    finding.refresh_from_db()
    assert finding.state == TaskState.OPEN
    Finding.objects.filter(pk=finding.pk).update(due_on=finding.found_on.replace(year=finding.found_on.year - 1))
    client.force_login(c.users["township_staff"])
    board = client.get("/inspections/board/").content.decode()
    assert "东村 · 露天焚烧秸秆垃圾" in board


def test_api_scoped_and_by_role(client, c):
    client.force_login(c.users["inspector"])
    assert len(client.get("/api/v1/inspections/items").json()) == 10
    r = client.post("/api/v1/inspections", {"village": c.village_a1.code}, content_type="application/json")
    assert r.status_code == 201
    pk = r.json()["id"]
    assert client.post("/api/v1/inspections", {"village": c.village_b1.code},
                       content_type="application/json").status_code == 404
    r = client.post(f"/api/v1/inspections/{pk}/finish", {}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_fix"
    client.post(f"/api/v1/inspections/{pk}/fix", {"lon": IN_A1[0], "lat": IN_A1[1]}, content_type="application/json")
    r = client.post(f"/api/v1/inspections/{pk}/findings", {"item_code": "crime_security", "text": "聚众赌博苗头"},
                    content_type="application/json")
    assert r.status_code == 201
    task_id = r.json()["id"]
    assert client.post(f"/api/v1/inspections/{pk}/finish", {}, content_type="application/json").status_code == 200
    assert client.post(f"/api/v1/inspections/tasks/{task_id}/complete", {"note": "x"},
                       content_type="application/json").status_code == 403
    client.force_login(c.users["township_staff_b"])
    assert client.get(f"/api/v1/inspections/{pk}").status_code == 404
    assert client.get("/api/v1/inspections/tasks").json()["count"] == 0
    client.force_login(c.users["village_cadre"])
    assert client.get("/api/v1/inspections/tasks").json()["count"] == 1
    assert client.post("/api/v1/inspections", {"village": c.village_a1.code},
                       content_type="application/json").status_code == 403
    r = client.post(f"/api/v1/inspections/tasks/{task_id}/complete", {"note": "已劝散"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "done"
    client.force_login(c.users["resident"])
    assert client.get("/api/v1/inspections/tasks").status_code == 403
    client.force_login(c.users["inspector"])
    r = client.post(f"/api/v1/inspections/tasks/{task_id}/verify", {"accept": True},
                    content_type="application/json")
    assert r.json()["state"] == "closed"
    assert services.task_overdue_sweep().overdue == 0
