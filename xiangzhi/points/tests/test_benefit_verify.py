"""积分优先's 核验码: closing a benefit stores the digest of its fixed list; every page recomputes it from
the rows kept and says 核验通过 or 核验不符; the verification page shows the full digest."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import make_household
from xiangzhi.points import selectors, services
from xiangzhi.points.models import PointsBenefit, PointsBenefitRow
from xiangzhi.points.templatetags.points_tags import verify_code

pytestmark = pytest.mark.django_db


def earn(county, household, rule, times=1):
    for _ in range(times):
        e = services.entry_record(actor=county.users["points_recorder"], household=household, rule=rule,
                                  occurred_on=timezone.localdate()).entry
        services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)


@pytest.fixture
def closed(county, rules):
    """A benefit of 东村 closed on a list of three: 张建国 first (two records), then the tie."""
    third = make_household(county.grid_a1, head="孙小明")
    earn(county, county.households["a1"], rules["neighbour_help"], times=2)
    earn(county, county.households["a1_micro"], rules["neighbour_help"])
    earn(county, third, rules["neighbour_help"])
    today = timezone.localdate()
    benefit = services.benefit_publish(
        actor=county.users["village_cadre"], village=county.village_a1, kind="loan", title="创业贷款担保",
        places=2, threshold=1, basis_start=today - dt.timedelta(days=90), basis_end=today,
        closes_on=today + dt.timedelta(days=7))
    return services.benefit_close(actor=county.users["village_cadre"], benefit=benefit)


def fresh(benefit):
    return PointsBenefit.objects.select_related("village").get(pk=benefit.pk)


def test_closing_stores_the_digest_of_the_fixed_list_and_it_holds(closed):
    rows = list(PointsBenefitRow.objects.filter(benefit=closed).order_by("position"))
    assert len(rows) == 3 and len(closed.content_hash) == 64
    assert closed.content_hash == selectors.benefit_digest(fresh(closed), rows)
    check = selectors.benefit_verify(fresh(closed))
    assert check.ok and check.digest == closed.content_hash and check.problems == []


def test_the_digest_is_stable_later_points_change_nothing(county, rules, closed):
    first = selectors.benefit_verify(fresh(closed)).digest
    earn(county, county.households["a1_micro"], rules["neighbour_help"], times=3)
    again = selectors.benefit_verify(fresh(closed))
    assert again.ok and again.digest == first == fresh(closed).content_hash


def test_an_open_benefit_has_no_digest_yet(county):
    today = timezone.localdate()
    benefit = services.benefit_publish(actor=county.users["village_cadre"], village=county.village_a1,
                                       kind="job", title="公益岗位", places=1, threshold=1, basis_start=today,
                                       basis_end=today, closes_on=today)
    assert benefit.content_hash == "" and selectors.benefit_verify(benefit) is None


def _points(rows):
    rows.filter(position=3).update(points=99)


def _swap(rows):
    a, b = rows.get(position=1), rows.get(position=2)
    rows.filter(pk=a.pk).update(position=100)
    rows.filter(pk=b.pk).update(position=1)
    rows.filter(pk=a.pk).update(position=2)


def _priority(rows):
    rows.filter(position=3).update(priority=True)


def _number(rows):
    rows.filter(position=2).update(number="371603101001999")


def _removed(rows):
    rows.filter(position=3).delete()


@pytest.mark.parametrize("tamper", [_points, _swap, _priority, _number, _removed])
def test_a_changed_row_is_detected(closed, tamper):
    tamper(PointsBenefitRow.objects.filter(benefit=closed))
    check = selectors.benefit_verify(fresh(closed))
    assert not check.ok and check.digest != closed.content_hash
    assert check.problems == ["名单与截止时的核验码不符：截止后名单或事项条件被改动"]


def test_changed_terms_are_detected(closed):
    PointsBenefit.objects.filter(pk=closed.pk).update(places=3)
    assert not selectors.benefit_verify(fresh(closed)).ok


def test_staff_and_public_pages_show_the_code_and_whether_it_holds(client, county, closed):
    code = verify_code(closed.content_hash)
    client.force_login(county.users["village_cadre"])
    staff = client.get(f"/points/benefits/{closed.pk}/").content.decode()
    client.logout()
    public = client.get(f"/points/public/{county.village_a1.code}/benefits/?benefit={closed.pk}").content.decode()
    for page in (staff, public):
        assert f'data-testid="verify-code">{code}<' in page
        assert "核验通过：名单与截止时固定的一致" in page and closed.content_hash not in page
    PointsBenefitRow.objects.filter(benefit=closed, position=1).update(points=1)
    public = client.get(f"/points/public/{county.village_a1.code}/benefits/?benefit={closed.pk}").content.decode()
    assert "核验不符：" in public and f">{code}<" in public and "核验通过" not in public


def test_the_verification_page_shows_the_full_digest(client, county, closed):
    url = f"/points/public/{county.village_a1.code}/benefits/verify/?benefit={closed.pk}"
    page = client.get(url).content.decode()
    assert f'data-testid="stored-hash">{closed.content_hash}<' in page
    assert f'data-testid="computed-hash">{closed.content_hash}<' in page and "核验通过" in page
    PointsBenefitRow.objects.filter(benefit=closed, position=2).update(priority=False)
    page = client.get(url).content.decode()
    assert "核验不符" in page and f'data-testid="stored-hash">{closed.content_hash}<' in page
    assert f'data-testid="computed-hash">{closed.content_hash}<' not in page


def test_the_verification_page_of_an_open_or_another_villages_benefit_is_404(client, county, closed):
    today = timezone.localdate()
    open_one = services.benefit_publish(actor=county.users["village_cadre"], village=county.village_a1,
                                        kind="job", title="公益岗位", places=1, threshold=1, basis_start=today,
                                        basis_end=today, closes_on=today)
    for url in (f"/points/public/{county.village_a1.code}/benefits/verify/?benefit={open_one.pk}",
                f"/points/public/{county.village_a2.code}/benefits/verify/?benefit={closed.pk}",
                f"/points/public/{county.village_a1.code}/benefits/verify/?benefit=abc",
                f"/points/public/{county.village_a1.code}/benefits/verify/"):
        assert client.get(url).status_code == 404, url
    page = client.get(f"/points/public/{county.village_a1.code}/benefits/?benefit={open_one.pk}").content.decode()
    assert 'data-testid="verify-code"' not in page
