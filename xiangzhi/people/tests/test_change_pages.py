import io

import pytest
from PIL import Image

from tests.factories import build_small_county
from xiangzhi.people.models import HouseholdChange, Relation

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return build_small_county()


def login(client, user):
    client.force_login(user)
    return client


def test_worker_records_a_birth_with_a_photo_and_the_cadre_confirms(client, county):
    c = county
    a1 = c.households["a1"]
    login(client, c.users["grid_worker"])
    page = client.get(f"/people/households/{a1.pk}/")
    assert "登记变动" in page.content.decode()
    kinds = client.get(f"/people/households/{a1.pk}/changes/new/").content.decode()
    assert "出生" in kinds and "户主变更" in kinds
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 200, 200)).save(buf, "JPEG")
    buf.name = "hukou.jpg"
    buf.seek(0)
    r = client.post(f"/people/households/{a1.pk}/changes/new/", {
        "kind": "birth", "name": "张小宝", "sex": "M", "birth_date": "2026-01-02", "relation": "grandchild",
        "note": "新生儿", "photo": buf})
    assert r.status_code == 302
    change = HouseholdChange.objects.get()
    assert change.photos.count() == 1
    history = client.get(f"/people/households/{a1.pk}/").content.decode()
    assert "待确认" in history and "张小宝" in history
    login(client, c.users["village_cadre"])
    listing = client.get("/people/changes/").content.decode()
    assert "张小宝" in listing and c.users["grid_worker"].username not in listing
    assert client.get(f"/people/change-photos/{change.photos.get().pk}/thumb/").status_code == 200
    assert client.post(f"/people/changes/{change.pk}/confirm/").status_code == 302
    page = client.get(f"/people/households/{a1.pk}/").content.decode()
    assert "确认人" in page and a1.residents.filter(name="张小宝").exists()
    assert "没有等待确认的登记变动" in client.get("/people/changes/").content.decode()


def test_bad_input_is_refused_in_chinese_beside_the_form(client, county):
    c = county
    a1 = c.households["a1"]
    head = a1.residents.get(relation=Relation.HEAD)
    login(client, c.users["grid_worker"])
    r = client.post(f"/people/households/{a1.pk}/changes/new/",
                    {"kind": "death", "resident": head.pk, "died_on": "1950-01-01"})
    assert r.status_code == 422
    assert "死亡日期不能早于张建国的出生日期" in r.content.decode()
    r = client.post(f"/people/households/{a1.pk}/changes/new/",
                    {"kind": "away", "resident": head.pk, "away_place": "天津", "away_since": "2026-01-01",
                     "photo": io.BytesIO(b"not a picture")})
    assert r.status_code == 422 and "户口本照片" in r.content.decode()
    assert not HouseholdChange.objects.exists()


def test_conflict_and_refusal_pages(client, county):
    c = county
    a1 = c.households["a1"]
    head = a1.residents.get(relation=Relation.HEAD)
    login(client, c.users["grid_worker"])
    client.post(f"/people/households/{a1.pk}/changes/new/", {"kind": "phone", "resident": head.pk,
                                                             "phone": "13912345678"})
    r = client.post(f"/people/households/{a1.pk}/changes/new/", {"kind": "phone", "resident": head.pk,
                                                                 "phone": "13912345679"})
    assert r.status_code == 409 and "已有一条待确认的「手机号变更」变动" in r.content.decode()
    change = HouseholdChange.objects.get()
    login(client, c.users["village_cadre"])
    r = client.post(f"/people/changes/{change.pk}/refuse/", {"reason": ""})
    assert r.status_code == 422 and "请填写退回理由" in r.content.decode()
    client.post(f"/people/changes/{change.pk}/refuse/", {"reason": "号码有误"})
    change.refresh_from_db()
    assert change.state == HouseholdChange.State.REFUSED
    assert "号码有误" in client.get(f"/people/households/{a1.pk}/").content.decode()


def test_villager_sees_only_confirmed_history_and_no_button(client, county):
    c = county
    a1 = c.households["a1"]
    head = a1.residents.get(relation=Relation.HEAD)
    login(client, c.users["grid_worker"])
    client.post(f"/people/households/{a1.pk}/changes/new/", {"kind": "phone", "resident": head.pk,
                                                             "phone": "13912345678", "note": "待定说明"})
    login(client, c.users["resident"])
    page = client.get(f"/people/households/{a1.pk}/").content.decode()
    assert "待定说明" not in page and "登记变动" not in page.replace("变动记录", "")
    assert client.get(f"/people/households/{a1.pk}/changes/new/").status_code == 403
