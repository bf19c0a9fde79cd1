"""Talking to the Open311 endpoints in tests."""

import json
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

IN_A1_MICRO = (118.005, 37.705)  # lon, lat: 东村一组微网格, 下洼镇
IN_B1 = (118.11, 37.71)  # 南村第一网格, 古城镇


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 (our own output)


def body(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def post_form(client, data: dict, fmt: str = "json", **headers):
    return client.post(f"/open311/v2/requests.{fmt}", urlencode(data),
                       content_type="application/x-www-form-urlencoded", headers=headers)


def post_json(client, data: dict, fmt: str = "json", **headers):
    return client.post(f"/open311/v2/requests.{fmt}", data, content_type="application/json", headers=headers)
