"""A number that is not a number, wherever a page or the API reads one from a form or a query,
answers 400 (or the page's own Chinese message), never a server error."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import install_points_rulebooks
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Category
from xiangzhi.points import services as points

BAD = "12abc"


@pytest.mark.django_db
def test_malformed_integers_never_answer_500(county):
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    from xiangzhi.activities.tests.conftest import make_activity

    activity, _ = make_activity(county, rules, signups=["a1"])
    case = cases.case_report(category=Category.objects.get(code="road_light"), title="路灯不亮", channel="resident",
                             lon=118.005, lat=37.705, reporter=county.users["resident"]).case
    entry = points.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                                rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
    walk = [
        ("grid_worker", "post", f"/cases/{case.pk}/act/merge/", {"into": BAD}),
        ("grid_worker", "post", f"/cases/{case.pk}/act/reassign/", {"assignee": BAD}),
        ("points_recorder", "get", "/points/record/", {"household": BAD}),
        ("points_recorder", "post", "/points/record/", {"household": county.households["a1"].pk, "rule": BAD}),
        ("points_supervisor", "post", "/points/review/", {"approve_one": BAD}),
        ("points_supervisor", "post", "/points/review/", {"ids": [BAD], "approve": "1"}),
        ("points_supervisor", "post", f"/points/entries/{entry.pk}/reverse/", {"reason": "记错了", "requester": BAD}),
        ("village_cadre", "post", "/activities/new/", {"capacity": BAD, "points": BAD}),
        ("village_cadre", "post", f"/activities/{activity.pk}/signup/", {"household": BAD}),
        ("village_cadre", "post", f"/activities/{activity.pk}/check-in/", {"ids": [BAD]}),
        ("village_cadre", "get", "/activities/villages/", {"year": BAD}),
        ("points_supervisor", "get", "/points/calendar/", {"year": BAD}),
        ("resident", "post", "/shop/orders/", {"item": BAD}),
        ("village_cadre", "get", "/api/v1/points/entries", {"household": BAD}),
        ("village_cadre", "get", "/api/v1/cases", {"page": BAD}),
    ]
    failures = []
    for role, method, url, data in walk:
        client = Client(raise_request_exception=False)
        client.force_login(county.users[role])
        response = getattr(client, method)(url, data)
        if response.status_code >= 500:
            failures.append(f"{role} {method.upper()} {url} {data} → {response.status_code}")
        elif url.startswith("/api/") and response.status_code >= 400:
            assert response.json()["error"]["code"] in ("invalid", "bad_request"), (url, response.content)
    assert failures == []
