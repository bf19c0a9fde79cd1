"""The access matrix's rows for 村务公开 (issue 15, item 2): a village's disclosures through their
publication flow, the screening queue, overdue periods, the county's template, posts and cadres, and
their API, each a (method, url, body, roles that may) for the small county ``c``; gathered by
``tests/test_access.py``. The public pages need no login and are tested in ``xiangzhi/disclosure/tests``."""

import datetime as dt

from django.utils import timezone


def disclosure_cases(c):
    """Village a1 with the county's template: drafts, submissions, passed and published disclosures (one
    each for the page and the API where a step is done once), a post and a cadre waiting for screening.
    Its cadres and the township and county above keep them; the township and county screen; the county
    admin edits the template."""
    from xiangzhi.disclosure import selectors, services
    from xiangzhi.disclosure.models import DueItem

    cadre, town = c.users["village_cadre"], c.users["township_staff"]
    services.template_install_default(county=c.county, active_from=timezone.localdate() - dt.timedelta(days=366))
    items = list(DueItem.objects.filter(county=c.county, attachment_required=False, cadence="quarter")
                 .order_by("sort"))
    quarter = selectors.last_closed_quarter().previous()

    def at(step, n):
        """The n-th quarterly item's disclosure of a1, taken to ``step``."""
        d = services.disclosure_open(actor=cadre, village=c.village_a1, item=items[n], period_start=quarter.start)
        services.disclosure_save(actor=cadre, disclosure=d, content="本季度情况如下。",
                                 figures={label: "100" for label in items[n].figure_labels})
        if step in ("submitted", "passed", "published"):
            services.disclosure_submit(actor=cadre, disclosure=d)
        if step in ("passed", "published"):
            services.disclosure_screen(actor=town, disclosure=d, passed=True)
        if step == "published":
            services.disclosure_publish(actor=cadre, disclosure=d)
        return d

    draft, to_submit, submitted, passed, published = (at(s, n) for n, s in enumerate(
        ("draft", "draft", "submitted", "passed", "published")))
    api_draft, api_submitted, api_passed, api_published = (at(s, n) for n, s in enumerate(
        ("draft", "submitted", "passed", "published"), start=5))
    attachment = services.attachment_add(actor=cadre, disclosure=draft, uploads=[
        services.Upload("会议记录.pdf", b"%PDF-1.4\n%%EOF\n")])[0]
    empty = items[10]
    post = services.post_create(actor=cadre, region=c.village_a1, kind="livelihood", title="秋季征兵", body="报名")
    to_screen = services.post_create(actor=cadre, region=c.village_a1, kind="livelihood", title="免费体检", body="通知")
    services.post_submit(actor=cadre, post=to_screen)
    member = services.cadre_save(actor=cadre, village=c.village_a1, name="王秀兰", post="妇联主席")
    keepers = {"county_admin", "township_staff", "township_staff_b", "village_cadre"}
    keepers_a1 = keepers - {"township_staff_b"}
    screeners = {"county_admin", "township_staff", "township_staff_b"}
    screeners_a1 = {"county_admin", "township_staff"}
    county = {"county_admin"}
    a1 = c.village_a1.code
    post_body = {"region": a1, "kind": "livelihood", "title": "冬季取暖补贴", "body": "申请办法见附件"}
    return [
        ("get", "/disclosure/", None, keepers),
        ("get", f"/disclosure/villages/{a1}/", None, keepers_a1),
        ("get", f"/disclosure/villages/{a1}/items/{empty.pk}/{quarter.start.isoformat()}/", None, keepers_a1),
        ("post", f"/disclosure/villages/{a1}/items/{empty.pk}/{quarter.start.isoformat()}/", {"content": "情况"},
         keepers_a1),  # then it exists: the others are sent to it, 302
        ("get", f"/disclosure/entries/{draft.pk}/", None, keepers_a1),
        ("post", f"/disclosure/entries/{draft.pk}/save/", {"content": "更新后的情况"}, keepers_a1),
        ("post", f"/disclosure/entries/{draft.pk}/attachments/{attachment.pk}/remove/", {}, keepers_a1),
        ("post", f"/disclosure/entries/{to_submit.pk}/submit/", {}, keepers_a1),  # then told so, 302
        ("post", f"/disclosure/entries/{submitted.pk}/screen/", {"decision": "pass"}, screeners_a1),
        ("post", f"/disclosure/entries/{passed.pk}/publish/", {}, keepers_a1),
        ("post", f"/disclosure/entries/{published.pk}/withdraw/", {"reason": "数字有误"}, keepers_a1),
        ("get", "/disclosure/screening/", None, screeners),
        ("get", "/disclosure/overdue/", None, keepers),
        ("get", f"/disclosure/overdue/?region={c.town_b.code}", None, {"county_admin", "township_staff_b"}),
        ("get", "/disclosure/template/", None, county),
        ("post", "/disclosure/template/", {"group": "village", "title": "公益岗位安排", "cadence": "quarter"}, county),
        ("post", "/disclosure/template/install/", {}, county),
        ("get", f"/disclosure/template/{empty.pk}/", None, county),
        ("get", "/disclosure/posts/", None, keepers),
        ("post", "/disclosure/posts/new/", post_body, keepers_a1),
        ("get", f"/disclosure/posts/{post.pk}/", None, keepers_a1),
        ("post", f"/disclosure/posts/{to_screen.pk}/screen/", {"decision": "pass"}, screeners_a1),
        ("get", f"/disclosure/villages/{a1}/cadres/", None, keepers_a1),
        ("post", f"/disclosure/villages/{a1}/cadres/", {"name": "李明", "post": "村委会委员"}, keepers_a1),
        ("get", f"/disclosure/cadres/{member.pk}/", None, keepers_a1),
        ("post", f"/disclosure/cadres/{member.pk}/screen/", {"decision": "pass"}, screeners_a1),
        ("get", "/api/v1/disclosure/items", None, keepers),
        ("get", "/api/v1/disclosure/entries", None, keepers),
        ("post", "/api/v1/disclosure/entries", {"village": a1, "item": empty.pk,
                                                "period_start": quarter.start.isoformat()}, keepers_a1),
        ("get", f"/api/v1/disclosure/entries/{api_draft.pk}", None, keepers_a1),
        ("put", f"/api/v1/disclosure/entries/{api_draft.pk}", {"content": "接口更新"}, keepers_a1),
        ("post", f"/api/v1/disclosure/entries/{api_submitted.pk}/screen", {"passed": True}, screeners_a1),
        ("post", f"/api/v1/disclosure/entries/{api_passed.pk}/publish", {}, keepers_a1),
        ("post", f"/api/v1/disclosure/entries/{api_published.pk}/withdraw", {"reason": "重复"}, keepers_a1),
        ("get", "/api/v1/disclosure/screening", None, screeners),
        ("get", "/api/v1/disclosure/overdue", None, keepers),
        ("get", "/api/v1/disclosure/posts", None, keepers),
        ("post", "/api/v1/disclosure/posts", post_body, keepers_a1),
    ]
