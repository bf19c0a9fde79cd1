"""Discovery, the service list and service definitions, in both formats."""

import pytest

from xiangzhi.cases.models import Category
from xiangzhi.open311.tests.wire import body, xml


@pytest.mark.django_db
def test_discovery_names_the_v2_endpoint_and_both_formats(client):
    data = body(client.get("/open311/v2/discovery.json"))
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert data["changeset"] == endpoint["changeset"]
    assert "open311_key" in data["key_service"]

    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("changeset") == data["changeset"]
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


@pytest.mark.django_db
def test_the_changeset_moves_when_the_catalog_changes(client):
    before = body(client.get("/open311/v2/discovery.json"))["changeset"]
    Category.objects.filter(code="road_light").update(name="路灯不亮")
    assert body(client.get("/open311/v2/discovery.json"))["changeset"] != before


@pytest.mark.django_db
def test_services_are_the_active_categories_in_both_formats(client):
    Category.objects.filter(code="device_alarm").update(is_active=False)
    active = list(Category.objects.filter(is_active=True).order_by("sort", "group", "code"))
    services = body(client.get("/open311/v2/services.json"))
    assert [s["service_code"] for s in services] == [c.code for c in active]
    assert services[-1]["service_code"] == "other"  # 其他 last, as on every category list
    light = next(s for s in services if s["service_code"] == "road_light")
    assert light == {
        "service_code": "road_light", "service_name": "路灯损坏", "description": "道路与照明 · 部件",
        "metadata": True, "type": "realtime", "keywords": "道路与照明,部件,小事", "group": "道路与照明",
    }

    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    rows = root.findall("service")
    assert [r.findtext("service_code") for r in rows] == [c.code for c in active]
    light = next(r for r in rows if r.findtext("service_code") == "road_light")
    assert (light.findtext("service_name"), light.findtext("metadata"), light.findtext("type"),
            light.findtext("group")) == ("路灯损坏", "true", "realtime", "道路与照明")


@pytest.mark.django_db
def test_a_service_definition_lists_the_attributes_we_store(client):
    light = body(client.get("/open311/v2/services/road_light.json"))
    assert light["service_code"] == "road_light"
    assert [a["code"] for a in light["attributes"]] == ["title", "address_detail", "facility_code"]
    detail = light["attributes"][1]
    assert detail["variable"] is True and detail["datatype"] == "string" and detail["required"] is False
    assert detail["order"] == 2 and detail["values"] == [] and "门牌" in detail["description"]
    # 部件编号 is asked only for facilities (部件), not for events (事件).
    garbage = body(client.get("/open311/v2/services/env_garbage.json"))
    assert [a["code"] for a in garbage["attributes"]] == ["title", "address_detail"]

    root = xml(client.get("/open311/v2/services/road_light.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "road_light"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["title", "address_detail", "facility_code"]
    assert attributes[2].findtext("variable") == "true" and attributes[2].findtext("required") == "false"
    assert attributes[2].find("values") is not None


@pytest.mark.django_db
def test_an_unknown_or_inactive_service_is_404_in_the_spec_error_shape(client):
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404
    assert body(missing) == [{"code": 404, "description": "没有这个服务代码：nope"}]
    Category.objects.filter(code="road_light").update(is_active=False)
    gone = client.get("/open311/v2/services/road_light.xml")
    assert gone.status_code == 404
    root = xml(gone)
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert root.findtext("error/description") == "没有这个服务代码：road_light"
