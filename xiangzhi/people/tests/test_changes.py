import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import build_small_county, jpeg_photo
from xiangzhi.core.errors import Conflict, Forbidden, Invalid
from xiangzhi.lib import idnumber
from xiangzhi.people import selectors
from xiangzhi.people.models import HouseholdChange, Relation, Resident
from xiangzhi.people.services import (
    household_change_confirm,
    household_change_propose,
    household_change_refuse,
)

pytestmark = pytest.mark.django_db
Kind, State = HouseholdChange.Kind, HouseholdChange.State


@pytest.fixture
def county():
    return build_small_county()


def member(household, relation=Relation.HEAD):
    return household.residents.filter(relation=relation).first()


def propose(c, kind, data, who="grid_worker", household="a1", **kw):
    return household_change_propose(actor=c.users[who], household=c.households[household], kind=kind, data=data, **kw)


def test_a_birth_waits_for_the_cadre_then_adds_the_child_with_history(county):
    c = county
    a1 = c.households["a1"]
    before = a1.residents.count()
    change = propose(c, Kind.BIRTH,
                     {"name": "张小宝", "sex": "M", "birth_date": "2026-01-02", "relation": "grandchild"},
                     note="户口本已登记", evidence=[jpeg_photo()])
    assert change.state == State.PENDING and a1.residents.count() == before
    assert change.photos.count() == 1
    household_change_confirm(actor=c.users["village_cadre"], change=change)
    baby = a1.residents.get(name="张小宝")
    assert (baby.sex, baby.birth_date, baby.relation, baby.id_number_hash) == ("M", dt.date(2026, 1, 2), "grandchild",
                                                                              None)
    row = HouseholdChange.objects.get(pk=change.pk)
    assert (row.state, row.decider, row.resident) == (State.CONFIRMED, c.users["village_cadre"], baby)
    assert row.after["姓名"] == "张小宝" and row.proposer == c.users["grid_worker"]


def test_a_birth_with_an_id_number_must_match_it(county):
    c = county
    with pytest.raises(Invalid, match="不符"):
        propose(c, Kind.BIRTH, {"name": "张小宝", "sex": "F", "birth_date": "2026-01-02",
                                "id_number": idnumber.make("371603", dt.date(2025, 1, 2), 2)})
    number = idnumber.make("371603", dt.date(2026, 1, 2), 2)  # an even sequence: a girl, born that day
    change = propose(c, Kind.BIRTH, {"name": "张小妹", "sex": "F", "birth_date": "2026-01-02", "id_number": number},
                     who="village_cadre")
    assert change.state == State.CONFIRMED  # the cadre's own: applied at once
    assert Resident.objects.get(name="张小妹").id_number_masked == change.after["身份证号"]


def test_a_death_before_the_birth_is_refused_and_nothing_is_written(county):
    c = county
    head = member(c.households["a1"])
    with pytest.raises(Invalid, match="不能早于张建国的出生日期"):
        propose(c, Kind.DEATH, {"resident": head.pk, "died_on": "1960-01-01"}, who="village_cadre")
    assert not HouseholdChange.objects.exists()
    head.refresh_from_db()
    assert not head.is_deceased


def test_a_death_marks_the_resident_and_keeps_before_and_after(county):
    c = county
    a1 = c.households["a1"]
    head, spouse = member(a1), member(a1, Relation.SPOUSE)
    with pytest.raises(Invalid, match="张建国是户主，去世后本户不能没有户主"):
        propose(c, Kind.DEATH, {"resident": head.pk, "died_on": "2026-03-01"}, who="village_cadre")
    change = propose(c, Kind.DEATH, {"resident": head.pk, "died_on": "2026-03-01", "new_head": spouse.pk},
                     who="village_cadre")
    head.refresh_from_db()
    spouse.refresh_from_db()
    a1.refresh_from_db()
    assert head.is_deceased and head.died_on == dt.date(2026, 3, 1)
    assert (spouse.relation, a1.head_name, a1.closed_on) == (Relation.HEAD, spouse.name, None)
    assert change.before == {"状态": "在册"} and change.after["状态"] == "已故"
    assert (change.proposer, change.decider) == (c.users["village_cadre"], c.users["village_cadre"])
    with pytest.raises(Invalid, match="已登记死亡"):
        propose(c, Kind.AWAY, {"resident": head.pk, "away_place": "天津", "away_since": "2026-03-02"})


def test_going_away_and_coming_back(county):
    c = county
    spouse = member(c.households["a1"], Relation.SPOUSE)
    away = propose(c, Kind.AWAY, {"resident": spouse.pk, "away_place": "天津市滨海新区", "away_work": "建筑工",
                                  "away_since": "2026-02-20", "away_expected_back": "2027-01-20"})
    household_change_confirm(actor=c.users["village_cadre"], change=away)
    spouse.refresh_from_db()
    assert (spouse.is_away, spouse.away_place, spouse.away_work, spouse.away_expected_back) == (
        True, "天津市滨海新区", "建筑工", dt.date(2027, 1, 20))
    back = propose(c, Kind.RETURN, {"resident": spouse.pk}, who="grid_chief")
    household_change_confirm(actor=c.users["village_cadre"], change=back)
    spouse.refresh_from_db()
    assert not spouse.is_away and spouse.away_place == ""


def test_expected_back_before_leaving_is_refused(county):
    c = county
    spouse = member(c.households["a1"], Relation.SPOUSE)
    with pytest.raises(Invalid, match="预计返回时间不能早于外出时间"):
        propose(c, Kind.AWAY, {"resident": spouse.pk, "away_place": "天津", "away_since": "2026-02-20",
                               "away_expected_back": "2026-01-01"})


def test_phone_change_and_new_head(county):
    c = county
    a1 = c.households["a1"]
    head, spouse = member(a1), member(a1, Relation.SPOUSE)
    phone = propose(c, Kind.PHONE, {"resident": spouse.pk, "phone": "13912345678"}, who="village_cadre")
    spouse.refresh_from_db()
    assert spouse.phone_masked == phone.after["手机号"] and "13912345678" not in str(phone.after)
    with pytest.raises(Invalid, match="手机号应为"):
        propose(c, Kind.PHONE, {"resident": spouse.pk, "phone": "12345"})
    propose(c, Kind.HEAD, {"resident": spouse.pk, "old_head_relation": "spouse"}, who="village_cadre")
    a1.refresh_from_db()
    head.refresh_from_db()
    spouse.refresh_from_db()
    assert (a1.head_name, spouse.relation, head.relation) == (spouse.name, "head", "spouse")


def test_two_open_proposals_on_the_same_person_and_field_conflict(county):
    c = county
    spouse = member(c.households["a1"], Relation.SPOUSE)
    first = propose(c, Kind.AWAY, {"resident": spouse.pk, "away_place": "天津", "away_since": "2026-02-20"})
    with pytest.raises(Conflict, match="已有一条待确认的「外出」变动"):
        propose(c, Kind.DEATH, {"resident": spouse.pk, "died_on": "2026-02-21"}, who="grid_chief")
    assert HouseholdChange.objects.count() == 1
    # another field of the same person does not conflict; after the refusal the field is free again
    propose(c, Kind.PHONE, {"resident": spouse.pk, "phone": "13912345678"})
    household_change_refuse(actor=c.users["village_cadre"], change=first, reason="照片看不清")
    first.refresh_from_db()
    assert (first.state, first.refusal_reason) == (State.REFUSED, "照片看不清")
    spouse.refresh_from_db()
    assert not spouse.is_away
    propose(c, Kind.DEATH, {"resident": spouse.pk, "died_on": "2026-02-21"}, who="grid_chief")


def test_proposals_only_in_scope(county):
    c = county
    with pytest.raises(Forbidden):
        propose(c, Kind.RETURN, {"resident": member(c.households["b1"]).pk}, household="b1")
    with pytest.raises(Forbidden):
        propose(c, Kind.PHONE, {"resident": member(c.households["a1"]).pk, "phone": "13912345678"},
                who="township_staff")
    with pytest.raises(Invalid, match="请选择本户的一名成员"):  # a person of another household
        propose(c, Kind.PHONE, {"resident": member(c.households["b1"]).pk, "phone": "13912345678"})
    assert not HouseholdChange.objects.exists()


def test_only_the_villages_cadre_decides(county):
    from tests.factories import UserFactory
    from xiangzhi.accounts.models import Role

    c = county
    change = propose(c, Kind.PHONE, {"resident": member(c.households["a1"]).pk, "phone": "13912345678"})
    other_cadre = UserFactory(username="cadre_b1", role=Role.VILLAGE_CADRE, region=c.village_b1)
    for actor in (other_cadre, c.users["grid_chief"], c.users["township_staff"]):
        with pytest.raises(Forbidden):
            household_change_confirm(actor=actor, change=change)
        with pytest.raises(Forbidden):
            household_change_refuse(actor=actor, change=change, reason="不对")
    with pytest.raises(Invalid, match="请填写退回理由"):
        household_change_refuse(actor=c.users["village_cadre"], change=change, reason=" ")
    household_change_confirm(actor=c.users["village_cadre"], change=change)
    with pytest.raises(Conflict, match="已确认"):
        household_change_confirm(actor=c.users["village_cadre"], change=change)


def test_pending_count_and_history_by_role(county):
    c = county
    a1 = c.households["a1"]
    propose(c, Kind.PHONE, {"resident": member(a1).pk, "phone": "13912345678"})
    done = propose(c, Kind.AWAY, {"resident": member(a1, Relation.SPOUSE).pk, "away_place": "天津",
                                  "away_since": timezone.localdate().isoformat()}, who="village_cadre")
    assert selectors.household_change_pending_count(c.users["village_cadre"]) == 1
    assert selectors.household_change_pending_count(c.users["grid_worker"]) == 0
    assert selectors.household_change_pending_count(c.users["township_staff"]) == 0
    assert list(selectors.household_change_history(c.users["resident"], a1)) == [done]
    assert selectors.household_change_history(c.users["grid_worker"], a1).count() == 2
