import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session

from xiangzhi.core.bulk import bulk_insert

pytestmark = pytest.mark.django_db


def test_bulk_insert_reserves_ids_after_the_existing_rows():
    first = Group.objects.create(name="已有")
    rows = [Group(name=f"组{i}") for i in range(3)]

    assert bulk_insert(Group, rows) is rows

    ids = [g.pk for g in rows]
    assert len(set(ids)) == 3
    assert min(ids) > first.pk
    assert dict(Group.objects.values_list("pk", "name")) == {first.pk: "已有"} | {g.pk: g.name for g in rows}
    assert all(not g._state.adding and g._state.db == "default" for g in rows)


def test_bulk_insert_takes_a_block_of_ids_as_one_id_a_row_would():
    first = Group.objects.create(name="已有")
    rows = bulk_insert(Group, [Group(name=f"组{i}") for i in range(3)], ids="block")
    assert [g.pk for g in rows] == list(range(first.pk + 1, first.pk + 4))
    after = Group.objects.create(name="之后")  # the sequence has moved past the block
    assert after.pk == first.pk + 4


def test_bulk_insert_keeps_the_ids_rows_bring_when_told():
    rows = bulk_insert(Group, [Group(pk=900 + i, name=f"组{i}") for i in range(2)], ids="given")
    assert dict(Group.objects.values_list("pk", "name")) == {900: "组0", 901: "组1"}
    assert all(not g._state.adding for g in rows)
    with pytest.raises(ValueError):
        bulk_insert(Group, [Group(name="组")], ids="guess")


def test_bulk_insert_keeps_given_keys_and_datetimes():
    expires = dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    rows = [Session(session_key=f"key{i}", session_data="{}", expire_date=expires) for i in range(2)]

    bulk_insert(Session, rows)

    assert {s.session_key: s.expire_date for s in Session.objects.all()} == {"key0": expires, "key1": expires}


def test_bulk_insert_of_nothing_writes_nothing():
    assert bulk_insert(Group, []) == []
    assert not Group.objects.exists()
