import base64
import io

import pytest
from django.utils import timezone
from PIL import Image

from tests.web import as_user, post
from xiangzhi.points.models import PointsEntry

pytestmark = pytest.mark.django_db


def jpeg_b64():
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 100, 50)).save(buf, "JPEG")
    return base64.b64encode(buf.getvalue()).decode()


def test_rules_for_a_village_with_overrides_and_what_the_user_may_record(client, county, rules):
    from xiangzhi.points.models import PointsRuleOverride

    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["neighbour_help"], points=4)
    got = as_user(client, county, "grid_worker").get("/api/v1/points/rules").json()
    by_code = {r["code"]: r for r in got}
    assert by_code["neighbour_help"]["points"] == 4 and by_code["neighbour_help"]["overridden"]
    assert by_code["neighbour_help"]["recordable"] and not by_code["stability_fight"]["recordable"]
    assert by_code["report_valid"]["recorder_roles"] == []
    assert by_code["env_litter"]["evidence_required"] and by_code["env_litter"]["points"] == -3
    assert as_user(client, county, "township_staff").get(
        f"/api/v1/points/rules?village={county.village_b1.code}").status_code == 404


def test_record_with_an_idempotency_key_then_review_and_read_the_standing(client, county, rules):
    h = county.households["a1"]
    body = {"household": h.pk, "rule": "env_litter", "note": "门口堆放杂物", "photo": jpeg_b64()}
    c = as_user(client, county, "points_recorder")
    first = post(c, "/api/v1/points/entries", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    entry = first.json()
    assert (entry["points"], entry["status"], entry["rule_name"], entry["village"]) == (
        -3, "pending", "乱堆乱放、乱倒垃圾污水", county.village_a1.code)
    assert entry["evidence"] == f"/points/entries/{entry['id']}/photo/"
    again = post(c, "/api/v1/points/entries", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == entry["id"]
    conflict = post(c, "/api/v1/points/entries", {**body, "note": "别的"}, **{"Idempotency-Key": "k-1"})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"

    good = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "stability_mediate"}).json()
    c = as_user(client, county, "points_supervisor")
    assert post(c, f"/api/v1/points/entries/{good['id']}/review", {"approve": True}).json()["status"] == "approved"
    refused = post(c, f"/api/v1/points/entries/{entry['id']}/review", {"approve": False})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "reason"
    done = post(c, f"/api/v1/points/entries/{entry['id']}/review", {"approve": True}).json()
    assert done["review"]["decision"] == "approved"
    standing = c.get(f"/api/v1/points/households/{h.pk}").json()
    assert (standing["points"], standing["village_rank"], standing["village_households"]) == (2, 1, 2)
    assert standing["township"] == county.town_a.code and standing["township_rank"] == 1


def test_refusals_carry_codes_and_chinese_messages(client, county, rules):
    h = county.households["a1"]
    c = as_user(client, county, "points_recorder")
    wrong_sign = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "env_livestock", "points": 3})
    assert wrong_sign.status_code == 422
    assert wrong_sign.json()["error"] == {
        "code": "wrong_sign", "message": "“散养畜禽、污染环境”是减分项，分值只能为负数",
        "fields": [{"field": "points", "message": "减分项应为负数"}],
    }
    no_photo = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "env_litter"})
    assert no_photo.json()["error"]["code"] == "evidence_required"
    unknown = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "no_such_item"})
    assert unknown.status_code == 422 and "未知的细则条目" in unknown.json()["error"]["message"]
    other_scope = post(c, "/api/v1/points/entries", {"household": county.households["b1"].pk, "rule": "env_sorting"})
    assert other_scope.status_code == 404
    system = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "report_valid"})
    assert system.status_code == 403 and system.json()["error"]["code"] == "rule_system_only"
    for _ in range(2):
        post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "affairs_meeting"})
    capped = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "affairs_meeting"})
    assert capped.status_code == 422 and capped.json()["error"]["code"] == "cap_exceeded"
    own = PointsEntry.objects.filter(recorder=county.users["points_recorder"]).first()
    c = as_user(client, county, "village_cadre")
    mine = post(c, "/api/v1/points/entries", {"household": h.pk, "rule": "env_sorting"}).json()
    forbidden = post(c, f"/api/v1/points/entries/{mine['id']}/review", {"approve": True})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["message"] == "不能审核自己记录的积分"
    post(c, f"/api/v1/points/entries/{own.pk}/review", {"approve": True})
    twice = post(c, f"/api/v1/points/entries/{own.pk}/review", {"approve": True})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"


def test_batch_reverse_and_bulk_review(client, county, rules):
    ids = [county.households["a1"].pk, county.households["a1_micro"].pk]
    c = as_user(client, county, "grid_worker")
    created = post(c, "/api/v1/points/entries/batch", {"households": ids, "rule": "volunteer_labour",
                                                       "note": "清理河道"}, **{"Idempotency-Key": "river"})
    assert created.status_code == 201 and [e["household_id"] for e in created.json()] == ids
    replay = post(c, "/api/v1/points/entries/batch", {"households": ids, "rule": "volunteer_labour",
                                                      "note": "清理河道"}, **{"Idempotency-Key": "river"})
    assert replay.status_code == 200 and [e["id"] for e in replay.json()] == [e["id"] for e in created.json()]
    outside = post(c, "/api/v1/points/entries/batch", {"households": [*ids, county.households["b1"].pk],
                                                       "rule": "volunteer_labour"})
    assert outside.status_code == 404
    entry_ids = [e["id"] for e in created.json()]
    c = as_user(client, county, "points_supervisor")
    outcomes = post(c, "/api/v1/points/entries/review", {"ids": [*entry_ids, 999999], "approve": True}).json()
    assert [(o["ok"], o["status"]) for o in outcomes] == [(True, "approved"), (True, "approved"), (False, "")]
    reversed_ = post(c, f"/api/v1/points/entries/{entry_ids[0]}/reverse",
                     {"reason": "未实际参加", "requester": county.users["grid_worker"].pk})
    assert reversed_.status_code == 200 and reversed_.json()["reversed_by"] is not None
    again = post(c, f"/api/v1/points/entries/{entry_ids[0]}/reverse", {"reason": "未实际参加"})
    assert again.status_code == 409


def test_lists_are_scoped_and_take_a_constant_number_of_queries(client, county, rules, django_assert_max_num_queries):
    from xiangzhi.points import services

    for key, who in (("a1", "points_recorder"), ("a1_micro", "grid_worker"), ("b1", "grid_worker_b")):
        for code in ("env_sorting", "neighbour_help", "law_learning"):
            e = services.entry_record(actor=county.users[who], household=county.households[key],
                                      rule=(rules if key != "b1" else _rules_b(county))[code],
                                      occurred_on=timezone.localdate()).entry
            if code == "neighbour_help":
                services.entry_review(actor=county.users["township_staff" if key != "b1" else "township_staff_b"],
                                      entry=e, approve=True)
    c = as_user(client, county, "township_staff")
    c.get("/api/v1/points/entries")  # warm the session
    with django_assert_max_num_queries(8):
        rows = c.get("/api/v1/points/entries").json()
    assert rows["count"] == 6
    assert {r["household_id"] for r in rows["items"]} == {county.households["a1"].pk, county.households["a1_micro"].pk}
    villager = as_user(client, county, "resident").get("/api/v1/points/entries").json()
    assert villager["count"] == 3 and {r["household_id"] for r in villager["items"]} == {county.households["a1"].pk}
    pending = as_user(client, county, "township_staff").get("/api/v1/points/entries?status=pending").json()
    assert pending["count"] == 4


def _rules_b(county):
    from xiangzhi.points.models import PointsRule

    return {r.code: r for r in PointsRule.objects.filter(rulebook__region=county.town_b)}


def test_rankings_with_participation(client, county, rules):
    from xiangzhi.points import services

    for key, code in (("a1", "stability_mediate"), ("a1_micro", "neighbour_help"), ("a1_micro", "env_livestock")):
        e = services.entry_record(actor=county.users["points_recorder"], household=county.households[key],
                                  rule=rules[code], occurred_on=timezone.localdate()).entry
        services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    got = as_user(client, county, "township_staff").get("/api/v1/points/rankings").json()
    assert got["region"] == county.town_a.code
    assert [(h["rank"], h["head_name"], h["points"]) for h in got["households"]] == [(1, "张建国", 5),
                                                                                   (2, "李秀英", 0)]
    villages = {v["code"]: v for v in got["villages"]}
    assert villages[county.village_a1.code] == {"code": county.village_a1.code, "name": "东村", "households": 2,
                                                "participating": 2, "participation_rate": 100.0, "points": 5,
                                                "average": 2.5}
    assert villages[county.village_a2.code]["participation_rate"] == 0.0
    assert as_user(client, county, "township_staff").get(
        f"/api/v1/points/rankings?region={county.town_b.code}").status_code == 404
    assert as_user(client, county, "resident").get("/api/v1/points/rankings").status_code == 403


def test_a_reversal_names_who_asked_and_who_approved(client, county, rules):
    from xiangzhi.points import services

    entry = services.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                                  rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
    services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    c = as_user(client, county, "points_supervisor")
    url = f"/api/v1/points/entries/{entry.pk}/reverse"
    missing = post(c, url, {"reason": "记错户了"})
    assert missing.status_code == 422
    assert missing.json() == {"error": {"code": "invalid", "message": "请选择申请人",
                                        "fields": [{"field": "requester", "message": "请选择申请人"}]}}
    same = post(c, url, {"reason": "记错户了", "requester": county.users["points_supervisor"].pk})
    assert same.status_code == 422 and same.json()["error"]["message"] == "申请人和批准人不能是同一人"
    done = post(c, url, {"reason": "记错户了", "requester": county.users["points_recorder"].pk})
    assert done.status_code == 200
    reversal = c.get(f"/api/v1/points/entries/{done.json()['reversed_by']}").json()
    recorder, supervisor = county.users["points_recorder"], county.users["points_supervisor"]
    assert (reversal["requester"], reversal["approver"], reversal["self_approved"]) == (
        recorder.full_name, supervisor.full_name, False)
    assert recorder.full_name and recorder.full_name != supervisor.full_name
