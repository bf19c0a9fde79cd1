"""Villagers and supervisors read a short 核验码 and a plain sentence, not a 64-digit hash; the full
hashes are on the notice's verification page only. A villager's own points pages speak to him (您家)."""

import re

import pytest
from django.utils import timezone

from xiangzhi.lib.periods import period_bounds
from xiangzhi.points import services
from xiangzhi.points.models import PointsNotice
from xiangzhi.points.templatetags.points_tags import verify_code

pytestmark = pytest.mark.django_db
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def earn(county, rules, household="a1"):
    entry = services.entry_record(actor=county.users["points_recorder"], household=county.households[household],
                                  rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
    services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    return entry


def publish(county):
    start, end = period_bounds("quarter", timezone.localdate())
    return services.notice_publish(village=county.village_a1, period_start=start, period_end=end, objection_days=7)


def code_on(page: str) -> str:
    found = re.search(r'data-testid="verify-code">([^<]+)<', page)
    assert found is not None
    return found.group(1)


def test_the_code_is_the_hashs_first_eight_digits_grouped():
    assert verify_code("3fa29c01" + "0" * 56) == "3FA2-9C01"
    assert verify_code("") == "—"


def test_villagers_and_supervisors_see_a_verify_code_and_a_sentence_not_the_hash(client, county, rules):
    entry = earn(county, rules)
    notice = publish(county)
    expected = verify_code(notice.content_hash)
    pages = {}
    for role in ("resident", "points_supervisor"):
        client.force_login(county.users[role])
        pages[role, "notice"] = client.get(f"/points/notices/{notice.pk}/").content.decode()
        pages[role, "entry"] = client.get(f"/points/entries/{entry.pk}/").content.decode()
    client.logout()
    pages["anyone", "public"] = client.get(f"/points/public/{county.village_a1.code}/").content.decode()
    for (who, kind), page in pages.items():
        assert not HEX64.search(page), (who, kind)
        assert notice.content_hash not in page and entry.hash not in page
        if kind == "entry":
            assert code_on(page) == verify_code(entry.hash)
        else:
            assert code_on(page) == expected
            assert "核验通过：本村积分记录完整，未被改动" in page

    verify = client.get(f"/points/public/{county.village_a1.code}/verify/?notice={notice.pk}").content.decode()
    assert notice.content_hash in verify and notice.entry_hash in verify and code_on(verify) == expected


def test_an_edited_notice_says_verification_failed(client, county, rules):
    earn(county, rules)
    notice = publish(county)
    rows = notice.rows
    rows[0]["total"] += 10
    PointsNotice.objects.filter(pk=notice.pk).update(rows=rows)
    page = client.get(f"/points/public/{county.village_a1.code}/").content.decode()
    assert "核验未通过" in page and "核验通过" not in page and not HEX64.search(page)


def test_the_verification_page_answers_only_for_the_notices_own_village(client, county, rules):
    earn(county, rules)
    notice = publish(county)
    assert client.get(f"/points/public/{county.village_b1.code}/verify/?notice={notice.pk}").status_code == 404
    assert client.get(f"/points/public/{county.village_a1.code}/verify/?notice=x").status_code == 404


def test_the_villagers_own_book_speaks_to_him_and_staff_keep_the_third_person(client, county, rules):
    earn(county, rules)
    client.force_login(county.users["resident"])
    mine = client.get("/points/book/").content.decode()
    assert "我家的积分手册" in mine and "积分高于您家的户数" in mine and "该户" not in mine
    household = client.get(f"/people/households/{county.households['a1'].pk}/").content.decode()
    assert re.search(r'<h1 class="h4">我家 ', household)
    client.force_login(county.users["points_supervisor"])
    staff = client.get(f"/points/households/{county.households['a1'].pk}/").content.decode()
    assert "积分高于该户的户数" in staff and "您家" not in staff
    client.force_login(county.users["village_cadre"])
    household = client.get(f"/people/households/{county.households['a1'].pk}/").content.decode()
    assert '<h1 class="h4">张建国户 ' in household and "我家" not in household
