"""The access matrix's rows for 阳光报告会 and 四议两公开: each a (method, url, body, roles that may) for the
small county ``c``; gathered by ``tests/test_access.py``. Village a1's cadre records; township a's staff
and the county screen and read; a commitment's owner (the grid worker of a1) follows it."""

from django.utils import timezone

from tests.factories import ALL_ROLES, jpeg_photo
from xiangzhi.meetings import services
from xiangzhi.meetings.models import StepKind
from xiangzhi.meetings.tests.helpers import ago, complete, held_day, proposed, quarter_back, recorded, vote


def meetings_cases(c):
    cadre = c.users["village_cadre"]
    owner = c.users["grid_worker"]
    draft = recorded(c, back=1)
    services.meeting_report(actor=cadre, meeting=draft, report="述职", items_reported=3,
                            attachment=services.FileIn("述职.pdf", b"%PDF-1.4"))
    kept, to_finish, finished = (services.commitment_make(actor=cadre, meeting=draft, demand=f"诉求{i}", owner=owner,
                                                          deadline=draft.held_on, measure="办理") for i in range(3))
    services.commitment_done(actor=owner, commitment=finished, done_on=draft.held_on, evidence="已办",
                             photos=[jpeg_photo()])
    photo = finished.photos.get()
    to_screen = recorded(c, back=2)
    complete(c, to_screen)
    to_submit = recorded(c, back=3)
    complete(c, to_submit, submit=False)
    to_screen_api = recorded(c, back=4)
    complete(c, to_screen_api)
    api_draft = recorded(c, back=5)
    matter, matter_api = proposed(c), proposed(c, title="修建村文化广场")
    year, quarter = quarter_back(0)
    api_year, api_quarter = quarter_back(6)
    readers = {"county_admin", "township_staff", "township_staff_b", "village_cadre"}
    a1 = {"county_admin", "township_staff", "village_cadre"}
    screeners = {"county_admin", "township_staff", "township_staff_b"}
    screeners_a1 = {"county_admin", "township_staff"}
    recorder = {"village_cadre"}
    staff = set(ALL_ROLES) - {"resident"}
    followers = {"village_cadre", "grid_worker"}
    today = timezone.localdate().isoformat()
    step = {"kind": StepKind.BRANCH, "held_on": ago(30).isoformat(), "minutes": "同意", **vote()}
    record = {"year": year, "quarter": quarter, "held_on": today, "place": "村委会", "attendance": "30"}
    api_record = {"village": c.village_a1.code, "year": api_year, "quarter": api_quarter,
                  "held_on": held_day(api_year, api_quarter).isoformat(), "place": "村委会", "attendance": 30}
    propose = {"title": "维修生产桥", "proposer": "村两委", "proposed_on": today}
    return [
        ("get", "/meetings/", None, staff),
        ("get", f"/meetings/villages/{c.village_a1.code}/", None, a1),
        ("post", f"/meetings/villages/{c.village_a1.code}/record/", record, recorder),
        ("get", f"/meetings/{draft.pk}/", None, a1),
        ("post", f"/meetings/{draft.pk}/edit/", {"held_on": draft.held_on.isoformat(), "place": "村委会",
                                                 "attendance": "90"}, recorder),
        ("post", f"/meetings/{draft.pk}/report/", {"report": "述职", "items_reported": "5"}, recorder),
        ("post", f"/meetings/{draft.pk}/questions/", {"text": "路灯不亮"}, recorder),
        ("post", f"/meetings/{draft.pk}/questions/qr/", {}, recorder),
        ("post", f"/meetings/{draft.pk}/commitments/", {"demand": "修路灯", "owner": owner.pk, "deadline": today,
                                                        "measure": "更换"}, recorder),
        ("post", f"/meetings/{draft.pk}/vote/", {"satisfied": "5", "basically_satisfied": "1",
                                                 "dissatisfied": "0"}, recorder),
        ("post", f"/meetings/{to_submit.pk}/submit/", {}, recorder),
        ("post", f"/meetings/{to_screen.pk}/screen/", {"decision": "pass"}, screeners_a1),
        ("get", "/meetings/commitments/", None, staff),
        ("get", f"/meetings/commitments/{kept.pk}/", None, a1 | {"grid_worker"}),
        ("post", f"/meetings/commitments/{kept.pk}/progress/", {"note": "已联系供电所"}, followers),
        ("post", f"/meetings/commitments/{to_finish.pk}/done/", {"done_on": today, "evidence": "已修好"}, followers),
        ("post", f"/meetings/commitments/{finished.pk}/reopen/", {"reason": "回访未修好"}, screeners_a1),
        ("get", f"/meetings/commitment-photos/{photo.pk}/", None, a1 | {"grid_worker"}),
        ("get", f"/meetings/commitment-photos/{photo.pk}/thumb/", None, a1 | {"grid_worker"}),
        ("get", f"/meetings/files/{draft.attachments.get().pk}/", None, a1),
        ("get", "/meetings/overview/", None, screeners),
        ("get", f"/meetings/overview/?region={c.town_b.code}", None, {"county_admin", "township_staff_b"}),
        ("get", "/meetings/overdue/", None, screeners),
        ("get", "/meetings/screening/", None, screeners),
        ("get", "/meetings/deliberations/", None, readers),
        ("post", f"/meetings/villages/{c.village_a1.code}/deliberations/", propose, recorder),
        ("get", f"/meetings/deliberations/{matter.pk}/", None, a1),
        ("post", f"/meetings/deliberations/{matter.pk}/steps/", step, recorder),
        ("post", f"/meetings/deliberations/{matter.pk}/screen/", {"decision": "pass"}, screeners_a1),
        ("post", f"/meetings/deliberations/{matter.pk}/donations/", {"kind": "money", "donor_name": "刘志强",
                                                                     "amount": "100", "donated_on": today}, recorder),
        ("get", "/api/v1/meetings", None, readers),
        ("post", "/api/v1/meetings", api_record, recorder),
        ("get", f"/api/v1/meetings/{draft.pk}", None, a1),
        ("post", f"/api/v1/meetings/{api_draft.pk}/vote", {"satisfied": 5, "basically_satisfied": 1,
                                                          "dissatisfied": 0}, recorder),
        ("post", f"/api/v1/meetings/{to_screen_api.pk}/screen", {"decision": "return", "reason": "请补充"},
         screeners_a1),  # the second finds it returned: 409
        ("get", "/api/v1/meetings/commitments", None, staff),
        ("get", f"/api/v1/meetings/commitments/{kept.pk}", None, a1 | {"grid_worker"}),
        ("post", f"/api/v1/meetings/commitments/{kept.pk}/progress", {"note": "材料到货"}, followers),
        ("get", "/api/v1/meetings/overview", None, screeners),
        ("get", "/api/v1/meetings/deliberations", None, readers),
        ("post", "/api/v1/meetings/deliberations", {"village": c.village_a1.code, **propose}, recorder),
        ("get", f"/api/v1/meetings/deliberations/{matter_api.pk}", None, a1),
        ("post", f"/api/v1/meetings/deliberations/{matter_api.pk}/steps", step, recorder),
        ("post", f"/api/v1/meetings/deliberations/{matter_api.pk}/screen", {"decision": "pass"},
         screeners_a1),  # then 409, public already
    ]
