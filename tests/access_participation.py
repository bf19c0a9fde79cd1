"""The access matrix's rows for participation (C9): announcements, polls and the evening meetings of
village a1, pages and API, each a (method, url, body, roles that may) for the small county ``c``;
gathered by ``tests/test_access.py``."""

import datetime as dt

from django.utils import timezone


def participation_cases(c):
    """A notice to village a1 sent by its cadre (the household account ``resident`` receives it), polls of
    the village's households (one to vote in on the page, one by the API, two to close, one for a paper
    ballot), a 百姓夜话 of village a1. Senders are the county, township, village cadres and grid chiefs,
    each inside his scope; the villager reads and votes; the village cadre and the grids' chiefs and
    workers enter paper ballots of their households; the meetings are kept by the village and the
    township and county above; a public notice and poll each for the page and the API wait for the
    screening of the township or county over the village."""
    from xiangzhi.participation import selectors, services

    cadre, now = c.users["village_cadre"], timezone.now()
    village = selectors.audience_get("village", c.village_a1.code)

    def notice(title):
        return services.announcement_send(actor=cadre, audience=village, title=title, body="请清理柴草",
                                          issuer="东村村委会")

    def poll(is_public=False):
        return services.poll_create(actor=cadre, audience=village, title="满意度测评", unit="household",
                                    opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=3),
                                    questions=[services.QuestionInput("满意吗", "scale")], is_public=is_public)

    # Public ones waiting for the screening (审核) of the township or county over village a1.
    def public_notice(title):
        return services.announcement_send(actor=cadre, audience=village, title=title, body="请清理柴草",
                                          issuer="东村村委会", is_public=True)

    page_notice, api_notice = notice("防火通知"), notice("停水通知")
    screen_notice, api_screen_notice = public_notice("秸秆禁烧通知"), public_notice("防汛通知")
    screen_poll, api_screen_poll = poll(is_public=True), poll(is_public=True)
    page_poll, api_poll, page_closing, api_closing, paper = poll(), poll(), poll(), poll(), poll()
    meeting = services.meeting_record(actor=cadre, village=c.village_a1, kind="evening", held_on=timezone.localdate(),
                                      place="村委会", host_name="王建华", attendance=30)

    def vote(p):
        option = p.questions.get().options.first().pk
        return {f"q{p.questions.get().pk}": option}, {"answers": [{"question": p.questions.get().pk,
                                                                   "options": [option]}]}

    page_vote, _ = vote(page_poll)
    _, api_vote = vote(api_poll)
    paper_page, paper_api = vote(paper)
    micro = c.households["a1_micro"].number
    senders = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "grid_chief"}
    # Paper ballots are entered by the village's cadres and the grids' chiefs and workers: they see polls
    # addressed above their grids too.
    recorders = {"village_cadre", "grid_chief", "grid_worker", "grid_worker_b"}
    a1_recorders = recorders - {"grid_worker_b"}
    a1 = {"county_admin", "township_staff", "village_cadre"}
    keepers = {"county_admin", "township_staff", "township_staff_b", "village_cadre"}
    # The township and county screen what goes on the public page: those over village a1 (the first passes
    # or returns it, the next is told it has been screened, 302 on the page, 409 by the API).
    screeners = {"county_admin", "township_staff", "township_staff_b"}
    a1_screeners = {"county_admin", "township_staff"}
    today = timezone.localdate().isoformat()
    later = (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {"kind": "village", "target": c.village_a1.code, "title": "通知", "body": "内容", "issuer": "东村村委会"}
    poll_form = {"kind": "village", "target": c.village_a1.code, "title": "测评", "unit": "household",
                 "opens_at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"), "closes_at": later,
                 "q1_text": "满意吗", "q1_kind": "scale"}
    poll_json = {"audience": "village", "target": c.village_a1.code, "title": "测评", "unit": "household",
                 "opens_at": now.isoformat(), "closes_at": (now + dt.timedelta(days=2)).isoformat(),
                 "questions": [{"text": "满意吗", "kind": "scale"}]}
    meeting_form = {"village": c.village_a1.code, "kind": "evening", "held_on": today, "place": "村委会",
                    "host_name": "王建华", "attendance": 30}
    return [
        ("get", "/participation/", None, senders | keepers | recorders | {"resident"}),
        ("get", "/participation/announcements/", None, senders | recorders | {"resident"}),
        ("get", "/participation/announcements/new/", None, senders),
        ("post", "/participation/announcements/new/", form, a1),
        ("get", f"/participation/announcements/{page_notice.pk}/", None, a1 | {"resident"}),
        ("post", f"/participation/announcements/{page_notice.pk}/remind/", {}, a1),  # then told to wait, 302
        ("get", "/participation/polls/", None, senders | recorders | {"resident"}),
        ("get", "/participation/polls/new/", None, senders),
        ("post", "/participation/polls/new/", poll_form, a1),
        ("get", f"/participation/polls/{page_poll.pk}/", None, a1 | a1_recorders | {"resident"}),
        ("post", f"/participation/polls/{page_poll.pk}/vote/", page_vote, {"resident"}),
        ("post", f"/participation/polls/{paper.pk}/record/", {"household": micro, **paper_page},
         a1_recorders),  # the first enters it; the others are told the household has voted, 409
        ("post", f"/participation/polls/{page_closing.pk}/close/", {}, a1),  # then told it has ended, 302
        ("get", "/participation/screening/", None, screeners),
        ("post", f"/participation/screening/announcements/{screen_notice.pk}/", {"decision": "pass"}, a1_screeners),
        ("post", f"/participation/screening/polls/{screen_poll.pk}/", {"decision": "return", "reason": "请补充说明"},
         a1_screeners),
        ("get", "/participation/meetings/", None, keepers),
        ("get", "/participation/meetings/new/", None, keepers),
        ("post", "/participation/meetings/new/", meeting_form, a1),
        ("get", f"/participation/meetings/{meeting.pk}/", None, a1),
        ("post", f"/participation/meetings/{meeting.pk}/", {"title": "路灯不亮", "grid": c.grid_a1.code}, a1),
        ("get", "/api/v1/participation/announcements", None, senders | recorders | {"resident"}),
        ("post", "/api/v1/participation/announcements", {"audience": "village", "target": c.village_a1.code,
                                                         "title": "通知", "body": "内容", "issuer": "东村村委会"}, a1),
        ("get", f"/api/v1/participation/announcements/{api_notice.pk}", None, a1 | {"resident"}),
        ("get", f"/api/v1/participation/announcements/{api_notice.pk}/unread", None, a1),
        ("post", f"/api/v1/participation/announcements/{api_notice.pk}/remind", {}, a1),  # then 409
        ("get", "/api/v1/participation/polls", None, senders | recorders | {"resident"}),
        ("post", "/api/v1/participation/polls", poll_json, a1),
        ("get", f"/api/v1/participation/polls/{api_poll.pk}", None, a1 | a1_recorders | {"resident"}),
        ("post", f"/api/v1/participation/polls/{api_poll.pk}/votes", api_vote, {"resident"}),
        ("post", f"/api/v1/participation/polls/{paper.pk}/paper-ballots", {"household": micro, **paper_api},
         a1_recorders),  # 409: entered already on the page
        ("post", f"/api/v1/participation/polls/{api_closing.pk}/close", {}, a1),  # then 409
        ("get", "/api/v1/participation/screening", None, screeners),
        ("post", f"/api/v1/participation/announcements/{api_screen_notice.pk}/screen", {"passed": True},
         a1_screeners),
        ("post", f"/api/v1/participation/polls/{api_screen_poll.pk}/screen", {"passed": False, "reason": "请补充说明"},
         a1_screeners),
        ("get", "/api/v1/participation/meetings", None, keepers),
        ("get", "/api/v1/participation/meetings/figures", None, keepers),
        ("post", "/api/v1/participation/meetings", meeting_form, a1),
        ("get", f"/api/v1/participation/meetings/{meeting.pk}", None, a1),
        ("post", f"/api/v1/participation/meetings/{meeting.pk}/demands", {"title": "路灯不亮", "grid": c.grid_a1.code},
         a1),
    ]
