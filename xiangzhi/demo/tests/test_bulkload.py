"""The build's bulk loading: rows through COPY/executemany come out as ``bulk_create`` would write them,
and on PostgreSQL the foreign keys set aside for the build come back and still refuse a broken row."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tests.factories import RegionFactory, grid_create, make_household, next_id_number, square
from xiangzhi.demo import bulkload
from xiangzhi.demo.bulkload import foreign_keys_checked_at_end, insert_rows
from xiangzhi.people.models import Household, KeyCategory, KeyPerson, Place, Resident
from xiangzhi.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    county = RegionFactory(code="371603", name="沾化区", level="county")
    town = RegionFactory(code="371603101", name="下洼镇", level="township", parent=county)
    village = RegionFactory(code="371603101001", name="东村", level="village", parent=town)
    return grid_create(region=village, name="东村第一网格", boundary=square(118.0, 37.7, 0.02))


def test_rows_come_back_with_ids_stamps_and_the_ids_of_objects_they_point_at(grid):
    before = timezone.now()
    households = insert_rows(Household, [Household(grid=grid, number=f"H{i}", address="东村1组", head_name="张三")
                                         for i in range(3)], 1000)
    assert all(h.pk for h in households) and not households[0]._state.adding
    stored = {h.number: h for h in Household.objects.filter(pk__in=[h.pk for h in households])}
    assert sorted(stored) == ["H0", "H1", "H2"]
    assert all(h.created_at >= before.replace(microsecond=0) for h in stored.values())  # auto_now_add, as bulk_create
    # A resident given its household as an object (no id copied by hand) points at it, as with bulk_create.
    resident = Resident(household=households[1], name="张三", sex="M", birth_date=dt.date(1970, 5, 1),
                        relation="head")
    resident.set_id_number(next_id_number())
    (resident,) = insert_rows(Resident, [resident], 1000)
    assert Resident.objects.get(pk=resident.pk).household_id == households[1].pk
    place = Place(grid=grid, kind_id="clinic", name="东村卫生室", lon=118.01, lat=37.71)
    insert_rows(Place, [place], 1000)
    assert Place.objects.get(pk=place.pk).updated_at is not None


def test_rows_that_bring_their_ids_keep_them(grid):
    last = Household.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rows = [Household(pk=last + 10 + i, grid=grid, number=f"G{i}", address="东村2组", head_name="李四")
            for i in range(2)]
    insert_rows(Household, rows, 1000)
    assert dict(Household.objects.filter(number__startswith="G").values_list("number", "pk")) == {
        "G0": last + 10, "G1": last + 11}


def test_what_needs_django_to_adapt_it_goes_through_bulk_create(grid):
    # JSON (a region's boundary) and a datetime in a date field are bulk_create's.
    region = Region(code="371603101002", name="西村", level="village", parent=grid.region.parent,
                    path=grid.region.parent.path + "371603101002/", boundary={"type": "Polygon", "coordinates": []})
    insert_rows(Region, [region], 1000)
    assert Region.objects.get(pk=region.pk).boundary == {"type": "Polygon", "coordinates": []}
    household = make_household(grid, head="李四")
    category = KeyCategory.objects.order_by("code").first()
    on = timezone.now()  # a datetime in a date field: bulk_create makes it the day
    (person,) = insert_rows(KeyPerson, [KeyPerson(resident=household.residents.first(), category=category,
                                                  registered_on=on)], 1000)
    assert KeyPerson.objects.get(pk=person.pk).registered_on == timezone.localdate(on)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferred checks only")
def test_foreign_keys_come_back_and_still_refuse_a_broken_row(grid, monkeypatch):
    monkeypatch.setattr(bulkload, "WORTH_IT", 0)

    def keys():
        with connection.cursor() as cursor:
            cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                           " WHERE contype = 'f' ORDER BY 1, 2")
            return cursor.fetchall()

    before = keys()
    with transaction.atomic(), foreign_keys_checked_at_end(1):
        make_household(grid, head="王五")
        assert keys() == []
    assert keys() == before
    with pytest.raises(IntegrityError), transaction.atomic(), foreign_keys_checked_at_end(1):
        Household.objects.create(grid_id=grid.pk + 10_000, number="H9", address="无", head_name="无")
    assert keys() == before and not Household.objects.filter(number="H9").exists()


def _indexes(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index builds only")
def test_plain_indexes_are_set_aside_during_a_step_and_built_again_after(grid, monkeypatch):
    before = _indexes("people_household")
    with transaction.atomic(), bulkload.indexes_built_after(Household):  # keys in place: left alone
        assert _indexes("people_household") == before
    monkeypatch.setattr(bulkload, "WORTH_IT", 0)
    with transaction.atomic(), foreign_keys_checked_at_end(1):
        with bulkload.indexes_built_after(Household):
            during = _indexes("people_household")
            make_household(grid, head="赵六")
        assert len(during) < len(before)  # the unique ones and the key stay, checking every row
        assert all(d in before for d in during)
        assert _indexes("people_household") == before
        with pytest.raises(ZeroDivisionError), bulkload.indexes_built_after(Household):
            1 / 0  # noqa: B018
        assert _indexes("people_household") == before


def test_row_maker_fills_what_the_models_own_init_fills():
    from xiangzhi.cases.models import Transition
    from xiangzhi.gridwork.models import Patrol, Visit
    from xiangzhi.points.models import PointsEntry

    at = timezone.now()
    cases = [
        (Household, {"grid_id": 1, "number": "H1", "address": "东村1组1号", "head_name": "张三"}),
        (Resident, {"household_id": 1, "name": "张三", "sex": "M", "birth_date": dt.date(1970, 5, 1),
                    "relation": "head", "tags": "", "is_away": False}),
        (Visit, {"key_person_id": 1, "visitor_id": 2, "visited_at": at, "visited_on": at.date(), "outcome": "normal",
                 "due_on": at.date(), "notes": "正常", "place": "家中"}),
        (Patrol, {"worker_id": 1, "grid_id": 2, "started_at": at, "ended_at": at, "distance_m": 10, "point_count": 0}),
        (PointsEntry, {"village_id": 1, "household_id": 2, "kind": "record", "points": 2, "occurred_on": at.date(),
                       "recorded_at": at, "recorder_id": 3, "note": "帮邻居"}),
        (Transition, {"case_id": 1, "action": "report", "to_status": "reported", "created_at": at}),
    ]
    for model, values in cases:
        made, django_made = bulkload.row_maker(model)(**values), model(**values)
        assert {k: v for k, v in made.__dict__.items() if k != "_state"} == {
            k: v for k, v in django_made.__dict__.items() if k != "_state"}, model
        assert made._state.adding and made._state.db is None
    with pytest.raises(TypeError, match="grid"):
        bulkload.row_maker(Household)(grid=None)
