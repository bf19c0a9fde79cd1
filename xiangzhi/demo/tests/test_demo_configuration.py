"""The demo's configuration history: a category's terms changed last month, which the cases reported since
keep and the older ones do not; next year's holidays entered; a township's own duplicate distance."""

import pytest
from django.utils import timezone

from xiangzhi.cases.models import CalendarDay, Case, CategoryTerms
from xiangzhi.configuration.models import ConfigChange
from xiangzhi.configuration.selectors import setting_value
from xiangzhi.demo.configuration import EDITED
from xiangzhi.regions.models import Region, RegionLevel

pytestmark = pytest.mark.django_db


def test_the_cases_keep_the_terms_in_force_when_they_were_reported(street_demo):
    first, second = CategoryTerms.objects.filter(category__code=EDITED).order_by("version")
    assert second.handle_hours == first.handle_hours + 48 and first.created_at < second.created_at
    assert 30 <= (timezone.now() - second.created_at).days <= 40
    cases = Case.objects.filter(category__code=EDITED)
    assert cases.filter(created_at__lt=second.created_at).exclude(terms=first).count() == 0
    assert cases.filter(created_at__gte=second.created_at, terms=second).exists()
    assert cases.filter(created_at__gte=second.created_at).exclude(terms=second).count() == 0
    assert not Case.objects.filter(terms__isnull=True).exists()
    assert "垃圾乱堆乱放（处置时限延长至" in street_demo.stdout


def test_next_years_holidays_and_a_townships_distance_are_in_the_history(street_demo):
    year = timezone.localdate().year + 1
    assert CalendarDay.objects.filter(date__year=year, is_workday=False).count() >= 13
    kinds = set(ConfigChange.objects.values_list("kind", "code"))
    assert {("holidays", str(year)), ("category", EDITED), ("setting", "case.duplicate_meters")} <= kinds
    township = Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").first()
    assert setting_value("case.duplicate_meters", path=township.path) == 300
