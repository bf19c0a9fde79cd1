"""A household closed on the register (merged into another, or left empty) stops counting in the
village's households and is no longer offered for new points; its ledger stays as it was."""

import pytest

from xiangzhi.people.models import HouseholdChange
from xiangzhi.people.services import household_change_propose
from xiangzhi.points import selectors


@pytest.mark.django_db
def test_a_merged_household_leaves_the_counts_and_the_picker(county):
    cadre, a1, micro = county.users["village_cadre"], county.households["a1"], county.households["a1_micro"]
    before = {v.pk: n for v, n in selectors.village_household_list(county.village_a1)}[county.village_a1.pk]
    assert micro in selectors.household_choice_list_for_user(cadre)
    household_change_propose(actor=cadre, household=a1, kind=HouseholdChange.Kind.MERGE,
                             data={"other": micro.number, "other_head_relation": "parent"})
    after = {v.pk: n for v, n in selectors.village_household_list(county.village_a1)}[county.village_a1.pk]
    assert after == before - 1
    picked = selectors.household_choice_list_for_user(cadre)
    assert micro not in picked and a1 in picked
    standing = selectors.household_standing(a1)
    assert standing.village_households == after
