"""An item's targets and household links in pages: the version page's item form offers the scheme's own
sources and, for the grid sources, the targets each needs (checked by the source); any item names the
household points rules it cascades to, and a village's score page lists them under each item that lost
points (「对应户积分条目」), linked to the village's rules; the default 六零 scheme comes with them."""

import re

import pytest

from tests.factories import install_points_rulebooks
from xiangzhi.assessment import services
from xiangzhi.assessment.defaults import VILLAGE_SCORECARD
from xiangzhi.assessment.models import Item
from xiangzhi.assessment.tests.conftest import report
from xiangzhi.points.models import PointsRulebook

pytestmark = pytest.mark.django_db


def options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"', select)


@pytest.fixture
def grid_draft(county):
    scheme = services.scheme_install_grid(county=county.county)
    return services.version_draft(scheme=scheme, actor=county.users["county_admin"])


def test_the_grid_item_form_offers_grid_sources_and_their_targets(client, county, grid_draft):
    client.force_login(county.users["county_admin"])
    patrol = grid_draft.items.get(source="patrol")
    page = client.get(f"/assessment/versions/{grid_draft.pk}/?edit={patrol.pk}").content.decode()
    sources = options(page, "source")
    assert {"patrol", "participation", "group_activities", "case_late", "manual"} <= set(sources)
    assert "inspection" not in sources
    for source, keys in (("patrol", ("hours", "km")), ("participation", ("target_pct", "step_pct")),
                         ("group_activities", ("per_quarter",))):
        assert f'data-testid="params-{source}"' in page
        assert all(f'name="param_{source}_{key}"' in page for key in keys)
    assert 'name="param_patrol_hours" value="20" placeholder="默认 20"' in page  # the item's own target
    assert "每月巡查时长（小时） 20、每月巡查里程（公里） 30" in page
    assert "volunteer_activity" in options(page, "household_rule_codes")
    assert 'nonce="' in page  # the fieldsets follow the chosen source


def test_a_village_scheme_offers_no_grid_source_and_no_targets(client, county, scheme):
    client.force_login(county.users["county_admin"])
    draft = services.version_draft(scheme=scheme, actor=county.users["county_admin"])
    page = client.get(f"/assessment/versions/{draft.pk}/").content.decode()
    assert set(options(page, "source")) == {"cases", "inspection", "manual"}
    assert "data-testid=\"params-" not in page and "param_patrol_hours" not in page
    assert "对应户积分条目：全年无越级上访、无缠访闹访；越级上访、缠访闹访" in page


def test_saving_a_patrol_item_keeps_its_checked_targets_and_household_rules(client, county, grid_draft):
    client.force_login(county.users["county_admin"])
    patrol = grid_draft.items.get(source="patrol")
    form = {"item": patrol.pk, "group": patrol.group, "code": patrol.code, "name": patrol.name,
            "weight": str(patrol.weight), "source": "patrol", "points_per_case": "3", "sort": "8",
            "param_patrol_hours": "25", "param_patrol_km": "", "param_participation_target_pct": "90",
            "household_rule_codes": ["volunteer_activity", "env_sorting"]}
    page = client.post(f"/assessment/versions/{grid_draft.pk}/items/", form, follow=True).content.decode()
    assert "已保存项目" in page
    patrol.refresh_from_db()
    # The patrol's own boxes only (the participation box was for another source); blank km keeps 30.
    assert patrol.params == {"hours": 25, "km": 30}
    assert patrol.household_rule_codes == ["volunteer_activity", "env_sorting"]
    page = client.post(f"/assessment/versions/{grid_draft.pk}/items/", {**form, "param_patrol_hours": "-5"},
                       follow=True).content.decode()
    assert "每月巡查时长（小时）应为 0～300 之间的数" in page
    patrol.refresh_from_db()
    assert patrol.params["hours"] == 25


def test_the_default_scorecard_links_every_item_to_rules_of_the_default_rulebook(county, scheme):
    template = PointsRulebook.objects.filter(region__isnull=True).get()
    codes = set(template.rules.values_list("code", flat=True))
    for row in VILLAGE_SCORECARD:
        assert row[-1] and set(row[-1]) <= codes, row[1]
    stored = dict(Item.objects.filter(version__scheme=scheme).values_list("code", "household_rule_codes"))
    assert stored["crime_cases"][:1] == ["law_learning"] and stored["pollution_living"][3:] == ["env_litter",
                                                                                               "env_burning"]


def test_a_villages_lost_points_list_the_household_rules_they_cascade_to(client, county, scheme, period):
    install_points_rulebooks(county.town_a)
    report(county, "a1", "illegal_construction")
    report(county, "b1", "illegal_land")
    services.period_run(period=period, actor=None)
    services.period_publish(period=period, actor=county.users["county_admin"])
    client.force_login(county.users["village_cadre"])
    page = client.get(f"/assessment/periods/{period.pk}/villages/{county.village_a1.code}/").content.decode()
    links = re.findall(r'data-testid="household-rules">(.*?)</div>', page, re.S)
    assert len(links) == 1 and links[0].startswith("对应户积分条目：")
    assert f'<a href="/points/rules/?village={county.village_a1.code}">违章建房、乱占耕地</a>' in links[0]
    assert "散养畜禽" not in page  # an item that lost nothing lists nothing
    detail = client.get(f"/api/v1/assessment/periods/{period.pk}/villages/{county.village_a1.code}").json()
    rules = detail["lost_points"][0]["household_rules"]
    assert rules == [{"code": "law_illegal_building", "name": "违章建房、乱占耕地"}]
    # 南村 lost the same item, but its township has no rulebook in force: no link to rules nobody keeps.
    client.force_login(county.users["county_admin"])
    page_b = client.get(f"/assessment/periods/{period.pk}/villages/{county.village_b1.code}/").content.decode()
    assert "−4" in page_b and "对应户积分条目" not in page_b
