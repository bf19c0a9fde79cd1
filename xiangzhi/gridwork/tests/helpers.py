import datetime as dt
import importlib

from django.apps import apps
from django.utils import timezone

from xiangzhi.cases.models import Case, Category
from xiangzhi.cases.services import case_report
from xiangzhi.gridwork.services import TrackFix
from xiangzhi.people.models import KeyCategory, KeyPerson


def key_person(household, *, code: str = "elderly_alone", registered_days_ago: int = 40) -> KeyPerson:
    """A key person registered ``registered_days_ago`` days before today (the registry has no
    service of its own yet: people are registered through the admin)."""
    if not KeyCategory.objects.filter(code=code).exists():
        # A transactional test (browser, live server) flushed the categories the migration seeds.
        importlib.import_module("xiangzhi.people.migrations.0002_default_key_categories").forwards(apps, None)
    return KeyPerson.objects.create(
        resident=household.residents.first(), category=KeyCategory.objects.get(code=code),
        registered_on=timezone.localdate() - dt.timedelta(days=registered_days_ago),
    )


IN_A1 = (118.015, 37.715)
IN_A1_MICRO = (118.005, 37.705)
IN_B1 = (118.105, 37.705)


def report(county, title: str, *, where=IN_A1, days_ago: float = 0, code: str = "road_light") -> Case:
    """A villager's report, filed ``days_ago`` days back (so its first step may be long overdue)."""
    return case_report(
        channel="resident", category=Category.objects.get(code=code), title=title, lon=where[0], lat=where[1],
        reporter=county.users["resident"], now=timezone.now() - dt.timedelta(days=days_ago),
    ).case


def fixes(start: dt.datetime, coords, *, step_s: float = 10, accuracy: float | None = 8.0) -> list[TrackFix]:
    return [
        TrackFix(start + dt.timedelta(seconds=i * step_s), lon, lat, accuracy) for i, (lon, lat) in enumerate(coords)
    ]
