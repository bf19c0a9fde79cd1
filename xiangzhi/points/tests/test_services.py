import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import jpeg_photo
from xiangzhi.core.errors import Forbidden, IdempotencyConflict, NotFound, status_of
from xiangzhi.points import ledger, selectors, services
from xiangzhi.points.errors import AlreadyDone, InsufficientPoints, PointsError
from xiangzhi.points.models import (
    EntryKind,
    EntryStatus,
    PointsBalance,
    PointsEntry,
    PointsRule,
    PointsRulebook,
    PointsRuleOverride,
)
from xiangzhi.points.selectors import rule_effective
from xiangzhi.regions.models import Region

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def record(county, rules, code="neighbour_help", who="points_recorder", household="a1", **kw):
    kw.setdefault("occurred_on", today())
    return services.entry_record(actor=county.users[who], household=county.households[household],
                                 rule=rules[code], **kw).entry


def approve(county, entry, who="points_supervisor"):
    return services.entry_review(actor=county.users[who], entry=entry, approve=True)


def balance(household):
    b = PointsBalance.objects.filter(pk=household.pk).first()
    return (b.approved_total, b.pending_total, b.earned_total) if b else (0, 0, 0)


def assert_ledger_holds(county):
    for village in (county.village_a1, county.village_a2, county.village_b1):
        assert selectors.ledger_verify(village) is None
    assert selectors.balance_mismatch_list() == []


# --- the rulebook ---------------------------------------------------------------------------------


def test_the_default_template_has_nine_fields_and_realistic_items(county):
    template = PointsRulebook.objects.get(region__isnull=True)
    assert [c.name for c in template.categories.all()][:4] == ["信访维稳", "移风易俗", "人居环境", "孝老爱亲"]
    assert template.categories.count() == 9
    items = template.rules.all()
    assert items.count() >= 30
    assert items.filter(direction="add").exists() and items.filter(direction="deduct").exists()
    assert items.filter(code="report_valid", recorder_roles="").exists()


def test_install_copies_the_template_for_a_township_only(county):
    book = services.rulebook_install(township=county.town_a, actor=county.users["township_staff"])
    template = PointsRulebook.objects.get(region__isnull=True)
    assert book.region == county.town_a and book.categories.count() == 9
    assert book.rules.count() == template.rules.count()
    assert book.rules.get(code="env_litter").category.rulebook == book
    with pytest.raises(PointsError, match="已有自"):
        services.rulebook_install(township=county.town_a)
    with pytest.raises(PointsError, match="按乡镇"):
        services.rulebook_install(township=county.village_a1)
    with pytest.raises(NotFound):
        services.rulebook_install(township=county.town_a, actor=county.users["township_staff_b"],
                                  effective_from=today() + dt.timedelta(days=1))
    with pytest.raises(Forbidden):
        services.rulebook_install(township=county.town_b, actor=county.users["points_recorder"])


# --- recording and its refusals -------------------------------------------------------------------


def test_a_record_waits_for_review_and_then_counts(county, rules):
    h = county.households["a1"]
    entry = record(county, rules, note="帮邻居收玉米")
    assert (entry.kind, entry.points, entry.status, entry.rule_name, entry.category_name) == (
        EntryKind.RECORD, 3, EntryStatus.PENDING, "邻里互助、扶危济困", "邻里和睦")
    assert entry.village == county.village_a1 and entry.seq == 1
    assert balance(h) == (0, 3, 0)
    approve(county, entry)
    assert balance(h) == (3, 0, 3)
    assert_ledger_holds(county)


def test_a_cap_per_period_is_enforced_and_rejected_or_reversed_entries_do_not_count(county, rules):
    first = record(county, rules)  # 邻里互助: at most 4 a month
    record(county, rules, count=2)
    last = record(county, rules)
    with pytest.raises(PointsError, match="当月最多记 4 次，该户当月已记 4 次") as exc:
        record(county, rules)
    assert exc.value.code == "cap_exceeded"
    services.entry_review(actor=county.users["points_supervisor"], entry=first, approve=False, reason="不属实")
    approve(county, last)
    services.entry_reverse(actor=county.users["points_supervisor"], entry=last, reason="重复记录",
                           requester=county.users["points_recorder"])
    record(county, rules, count=2)  # two places freed
    record(county, rules, household="a1_micro")  # caps are per household
    assert_ledger_holds(county)


def test_a_points_cap_counts_absolute_points(county, rules):
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["volunteer_activity"], cap_points=5)
    record(county, rules, "volunteer_activity")
    record(county, rules, "volunteer_activity")
    with pytest.raises(PointsError, match="当月最多记 5 分，该户当月已记 4 分"):
        record(county, rules, "volunteer_activity")
    record(county, rules, "volunteer_activity", points=1)


def test_a_deduction_recorded_as_positive_and_an_addition_as_negative_are_refused(county, rules):
    with pytest.raises(PointsError, match="是减分项，分值只能为负数") as exc:
        record(county, rules, "env_livestock", points=3)
    assert exc.value.code == "wrong_sign"
    with pytest.raises(PointsError, match="是加分项，分值只能为正数"):
        record(county, rules, "neighbour_help", points=-3)
    with pytest.raises(PointsError, match="每次最多扣 3 分"):
        record(county, rules, "env_livestock", points=-5)
    with pytest.raises(PointsError, match="不能为 0"):
        record(county, rules, "env_livestock", points=0)
    # A village override typed with the wrong sign (behind the admin's check) is refused too.
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["env_livestock"], points=4)
    with pytest.raises(PointsError, match="是减分项"):
        record(county, rules, "env_livestock")
    assert not PointsEntry.objects.exists()


def test_less_than_the_rule_may_be_recorded_never_more(county, rules):
    entry = record(county, rules, "env_livestock", points=-1, count=2)
    assert (entry.points, entry.quantity) == (-2, 2)
    with pytest.raises(PointsError, match="次数"):
        record(county, rules, "env_livestock", count=0)


def test_a_household_outside_the_recorders_scope_is_not_found(county, rules):
    with pytest.raises(NotFound):
        record(county, rules, who="grid_worker_b", household="a1")
    with pytest.raises(NotFound):
        record(county, rules, who="points_recorder", household="b1")
    with pytest.raises(NotFound):
        record(county, rules, who="grid_worker", household="a2")
    assert record(county, rules, who="grid_worker", household="a1_micro").recorder == county.users["grid_worker"]


def test_roles_that_may_not_record(county, rules):
    for who in ("points_supervisor", "resident", "township_staff", "department_staff", "grid_guide"):
        with pytest.raises(Forbidden):
            record(county, rules, who=who)
    with pytest.raises(Forbidden, match="只能由积分管理员、村两委记录"):
        record(county, rules, "stability_fight", who="grid_worker")
    with pytest.raises(PointsError, match="由系统自动记分") as exc:
        record(county, rules, "report_valid")
    assert status_of(exc.value) == 403
    assert record(county, rules, "stability_fight", who="village_cadre").points == -10


def test_evidence_required_but_missing_is_refused_and_a_photo_is_kept_and_hashed(county, rules):
    with pytest.raises(PointsError, match="须上传照片") as exc:
        record(county, rules, "env_litter")
    assert exc.value.code == "evidence_required"
    entry = record(county, rules, "env_litter", evidence=jpeg_photo())
    assert entry.evidence.name and entry.evidence_thumbnail.name and len(entry.evidence_sha256) == 64
    assert entry.hash == ledger.hashchain.link(entry.prev_hash, ledger.entry_row(entry))


def test_future_and_stale_dates_are_refused(county, rules):
    with pytest.raises(PointsError, match="不能晚于今天"):
        record(county, rules, occurred_on=today() + dt.timedelta(days=1))
    with pytest.raises(PointsError, match="只能补记 31 天内"):
        record(county, rules, occurred_on=today() - dt.timedelta(days=32))
    assert record(county, rules, occurred_on=today() - dt.timedelta(days=31)).occurred_on < today()


def test_inactive_rules_and_rules_a_village_turned_off_are_refused(county, rules):
    PointsRule.objects.filter(pk=rules["env_greening"].pk).update(is_active=False)
    rules["env_greening"].refresh_from_db()
    with pytest.raises(PointsError, match="该条目已停用") as exc:
        record(county, rules, "env_greening")
    assert exc.value.code == "rule_inactive"
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["env_sorting"], is_active=False,
                                      note="村民代表会议决定")
    with pytest.raises(PointsError, match="本村村规民约未采用"):
        record(county, rules, "env_sorting")
    assert rule_effective(rules["env_sorting"], county.village_a2).is_active


def test_a_village_override_changes_points_and_caps_in_that_village_only(county, rules):
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["neighbour_help"], points=5, cap_count=1)
    assert record(county, rules).points == 5
    with pytest.raises(PointsError, match="当月最多记 1 次"):
        record(county, rules)
    in_a2 = rule_effective(rules["neighbour_help"], county.village_a2)
    assert (in_a2.points, in_a2.cap_count, in_a2.overridden) == (3, 4, False)
    entry = services.entry_record(actor=county.users["grid_chief"], household=county.households["a1_micro"],
                                  rule=rules["neighbour_help"], occurred_on=today()).entry
    assert entry.points == 5  # a1_micro is in village a1 too


def test_a_rule_of_another_township_or_not_yet_in_force_is_refused(county, rules, rules_b):
    with pytest.raises(PointsError, match="中的条目"):
        record(county, rules_b, "neighbour_help")
    newer = services.rulebook_install(township=county.town_a, effective_from=today() - dt.timedelta(days=3),
                                      name="下洼镇户积分管理细则（修订）")
    with pytest.raises(PointsError, match="修订"):
        record(county, rules, "neighbour_help")  # the old book's rule, today
    old_day = today() - dt.timedelta(days=10)
    assert record(county, rules, "neighbour_help", occurred_on=old_day).rule.rulebook != newer
    assert record(county, {r.code: r for r in newer.rules.all()}, "neighbour_help").rule.rulebook == newer


def test_changing_a_rule_never_changes_recorded_points(county, rules):
    entry = record(county, rules)
    approve(county, entry)
    PointsRule.objects.filter(pk=rules["neighbour_help"].pk).update(points=9, name="改过的名称")
    entry.refresh_from_db()
    assert (entry.points, entry.rule_name) == (3, "邻里互助、扶危济困")
    assert balance(county.households["a1"])[0] == 3
    assert_ledger_holds(county)


def test_an_idempotency_key_replays_the_first_entry_and_refuses_a_different_one(county, rules):
    first = services.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                                  rule=rules["neighbour_help"], occurred_on=today(), idempotency_key="k1")
    again = services.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                                  rule=rules["neighbour_help"], occurred_on=today(), idempotency_key="k1")
    assert first.created and not again.created and again.entry.pk == first.entry.pk
    with pytest.raises(IdempotencyConflict):
        services.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                              rule=rules["neighbour_help"], occurred_on=today(), idempotency_key="k1", note="另一件")
    # Keys belong to their recorder.
    other = services.entry_record(actor=county.users["village_cadre"], household=county.households["a1"],
                                  rule=rules["neighbour_help"], occurred_on=today(), idempotency_key="k1")
    assert other.created
    assert PointsEntry.objects.count() == 2


# --- batches --------------------------------------------------------------------------------------


def batch(county, rules, keys=("a1", "a1_micro"), code="volunteer_labour", who="points_recorder", **kw):
    kw.setdefault("occurred_on", today())
    return services.entry_record_batch(actor=county.users[who], households=[county.households[k] for k in keys],
                                       rule=rules[code], **kw)


def test_a_batch_records_every_household_in_one_chain_extension(county, rules):
    result = batch(county, rules, note="整修村东河道", idempotency_key="river-1")
    assert [e.household for e in result.entries] == [county.households["a1"], county.households["a1_micro"]]
    assert [e.seq for e in result.entries] == [1, 2] and all(e.points == 3 for e in result.entries)
    replay = batch(county, rules, note="整修村东河道", idempotency_key="river-1")
    assert not replay.created and [e.pk for e in replay.entries] == [e.pk for e in result.entries]
    with pytest.raises(IdempotencyConflict):
        batch(county, rules, keys=("a1",), note="整修村东河道", idempotency_key="river-1")
    assert_ledger_holds(county)


def test_a_batch_is_all_or_nothing(county, rules):
    for _ in range(2):
        record(county, rules, "affairs_meeting", household="a1_micro")  # at most 2 a month
    with pytest.raises(PointsError, match="1 户不能记分，本批未保存") as exc:
        batch(county, rules, code="affairs_meeting")
    assert exc.value.fields[0]["field"] == "households[1]" and "李秀英户" in exc.value.fields[0]["message"]
    assert PointsEntry.objects.count() == 2
    with pytest.raises(NotFound):
        batch(county, rules, keys=("a1", "b1"))
    with pytest.raises(PointsError, match="出现了两次"):
        batch(county, rules, keys=("a1", "a1"))
    assert PointsEntry.objects.count() == 2


# --- the monthly review ---------------------------------------------------------------------------


def test_nobody_approves_their_own_entry_or_their_own_household(county, rules):
    cadre = county.users["village_cadre"]
    mine = record(county, rules, who="village_cadre")
    with pytest.raises(Forbidden, match="不能审核自己记录的积分"):
        services.entry_review(actor=cadre, entry=mine, approve=True)
    cadre.household = county.households["a1_micro"]
    cadre.save(update_fields=["household"])
    ours = record(county, rules, household="a1_micro")
    with pytest.raises(Forbidden, match="不能审核本户的积分"):
        services.entry_review(actor=cadre, entry=ours, approve=True)
    with pytest.raises(Forbidden):
        services.entry_review(actor=county.users["points_recorder"], entry=mine, approve=True)
    with pytest.raises(NotFound):
        services.entry_review(actor=county.users["township_staff_b"], entry=mine, approve=True)
    approve(county, mine)
    approve(county, ours, who="township_staff")


def test_a_rejection_needs_a_reason_and_an_entry_is_reviewed_once(county, rules):
    entry = record(county, rules)
    with pytest.raises(PointsError, match="请填写驳回理由"):
        services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=False, reason=" ")
    services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=False, reason="不属实")
    with pytest.raises(AlreadyDone, match="已审核"):
        approve(county, entry, who="village_cadre")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REJECTED and balance(county.households["a1"]) == (0, 0, 0)


def test_bulk_review_decides_each_entry_and_reports_those_it_cannot(county, rules):
    a = record(county, rules)
    b = record(county, rules, who="village_cadre", household="a1_micro")
    c = record(county, rules, "stability_fight")  # -10: more than the household will have
    outcomes = services.entry_review_bulk(actor=county.users["village_cadre"], entries=[a, b, c], approve=True)
    by_entry = {o.entry.pk: o for o in outcomes}
    assert by_entry[a.pk].review is not None
    assert by_entry[b.pk].error == "不能审核自己记录的积分"
    assert "积分不足" in by_entry[c.pk].error
    assert balance(county.households["a1"]) == (3, -10, 3)
    with pytest.raises(PointsError, match="驳回理由"):
        services.entry_review_bulk(actor=county.users["village_cadre"], entries=[b], approve=False)
    assert_ledger_holds(county)


def test_an_approved_deduction_never_takes_a_balance_below_zero(county, rules):
    deduction = record(county, rules, "stability_fight", who="village_cadre")  # -10
    with pytest.raises(InsufficientPoints, match="该户现有 0 分"):
        approve(county, deduction)
    assert PointsEntry.objects.get(pk=deduction.pk).status == EntryStatus.PENDING
    for code in ("stability_mediate", "neighbour_good_deed"):
        approve(county, record(county, rules, code, who="village_cadre", evidence=jpeg_photo()))
    approve(county, deduction)
    assert balance(county.households["a1"]) == (5, 0, 15)
    assert_ledger_holds(county)


# --- reversal -------------------------------------------------------------------------------------


def test_an_approved_entry_is_reversed_once_by_a_reviewer(county, rules):
    entry = record(county, rules, who="village_cadre")
    approve(county, entry)
    with pytest.raises(Forbidden, match="不能冲正自己记录的积分"):
        services.entry_reverse(actor=county.users["village_cadre"], entry=entry, reason="记错户了")
    with pytest.raises(Forbidden, match="可以冲正积分"):
        services.entry_reverse(actor=county.users["points_recorder"], entry=entry, reason="记错户了")
    result = services.entry_reverse(actor=county.users["township_staff"], entry=entry, reason="记错户了",
                                    requester=county.users["village_cadre"])
    r = result.reversal
    assert (r.kind, r.points, r.reverses, r.rule_name, r.status) == (EntryKind.REVERSAL, -3, entry,
                                                                      entry.rule_name, EntryStatus.APPROVED)
    assert balance(county.households["a1"]) == (0, 0, 0)
    with pytest.raises(AlreadyDone, match="只能冲正一次"):
        services.entry_reverse(actor=county.users["points_supervisor"], entry=entry, reason="再来一次")
    with pytest.raises(PointsError, match="冲正记录本身不能再冲正"):
        services.entry_reverse(actor=county.users["points_supervisor"], entry=r, reason="撤销冲正")
    with pytest.raises(PointsError, match="请填写冲正理由"):
        services.entry_reverse(actor=county.users["points_supervisor"], entry=entry, reason="")
    assert PointsEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
    assert_ledger_holds(county)


def test_reversing_a_pending_entry_withdraws_it(county, rules):
    entry = record(county, rules)
    result = services.entry_reverse(actor=county.users["points_recorder"], entry=entry, reason="户选错了")
    assert result.reversal is None and result.review.decision == "rejected"
    assert result.review.reason == "撤回：户选错了"
    with pytest.raises(AlreadyDone):
        approve(county, entry)
    with pytest.raises(PointsError, match="已驳回"):
        services.entry_reverse(actor=county.users["points_supervisor"], entry=entry, reason="再撤一次")
    other = record(county, rules, who="village_cadre")
    with pytest.raises(Forbidden):  # not theirs, and a recorder does not review
        services.entry_reverse(actor=county.users["points_recorder"], entry=other, reason="撤回")
    assert balance(county.households["a1"]) == (0, 3, 0)


def test_a_reversal_cannot_overdraw_points_already_spent(county, rules):
    entry = record(county, rules)
    approve(county, entry)
    with transaction.atomic():
        ledger.entry_post(village_id=county.village_a1.pk, household_id=county.households["a1"].pk,
                    kind=EntryKind.REDEMPTION, points=-3, occurred_on=today(), source="order:1")
    with pytest.raises(InsufficientPoints):
        services.entry_reverse(actor=county.users["points_supervisor"], entry=entry, reason="记错了",
                               requester=county.users["points_recorder"])
    assert not PointsEntry.objects.filter(kind=EntryKind.REVERSAL).exists()
    with pytest.raises(PointsError, match="由相应业务办理"):
        services.entry_reverse(actor=county.users["points_supervisor"],
                               entry=PointsEntry.objects.get(kind=EntryKind.REDEMPTION), reason="退货")
    assert_ledger_holds(county)


# --- a valid case earns points --------------------------------------------------------------------
# The cases app calls ``entry_award_for_case`` as it closes a case; here a stand-in for the case.


def a_villagers_case(county, pk=1):
    return SimpleNamespace(pk=pk, number=f"C-{pk:04d}", title="路灯不亮", reporter=county.users["resident"],
                           is_proactive=False)


def award_for(county, case):
    return services.entry_award_for_case(case=case, actor=county.users["village_cadre"])


def test_a_villagers_valid_case_earns_the_report_valid_points_once(county, rules):
    case = a_villagers_case(county)
    award = award_for(county, case)
    assert (award.household, award.points, award.rule_code, award.source, award.status) == (
        county.households["a1"], 2, "report_valid", f"case:{case.pk}", EntryStatus.PENDING)
    assert award.recorder == county.users["village_cadre"] and case.number in award.note
    # A case reopened and closed again awards nothing more.
    assert award_for(county, case) is None
    assert PointsEntry.objects.filter(kind=EntryKind.AWARD).count() == 1
    approve(county, award)
    assert balance(county.households["a1"]) == (2, 0, 2)


def test_no_award_for_a_workers_own_finding_or_a_reporter_without_household(county, rules):
    own_finding = a_villagers_case(county)
    own_finding.is_proactive = True
    assert award_for(county, own_finding) is None
    by_staff = a_villagers_case(county, pk=2)
    by_staff.reporter = county.users["grid_worker"]
    assert award_for(county, by_staff) is None
    assert not PointsEntry.objects.exists()


def test_no_award_without_a_rulebook_or_when_the_village_turned_it_off(county):
    assert award_for(county, a_villagers_case(county)) is None
    assert not PointsEntry.objects.exists()
    from tests.factories import install_points_rulebooks

    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["report_valid"], is_active=False)
    assert award_for(county, a_villagers_case(county, pk=2)) is None
    assert not PointsEntry.objects.exists()


def test_the_award_respects_its_monthly_cap(county, rules):
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["report_valid"], cap_count=1)
    assert award_for(county, a_villagers_case(county, pk=1)) is not None
    assert award_for(county, a_villagers_case(county, pk=2)) is None
    assert PointsEntry.objects.filter(kind=EntryKind.AWARD).count() == 1


def test_proofs_find_nothing_on_an_empty_ledger(county, rules):
    assert selectors.ledger_verify(Region.objects.get(pk=county.village_b1.pk)) is None
    assert selectors.balance_mismatch_list() == []


# --- who asked, who approved ----------------------------------------------------------------------


def test_a_reversal_records_who_asked_and_who_approved_as_two_people(county, rules):
    entry = record(county, rules)
    approve(county, entry)
    supervisor, recorder = county.users["points_supervisor"], county.users["points_recorder"]
    with pytest.raises(PointsError, match="请选择申请人") as exc:
        services.entry_reverse(actor=supervisor, entry=entry, reason="记错户了")
    assert exc.value.fields == [{"field": "requester", "message": "请选择申请人"}]
    with pytest.raises(PointsError, match="申请人和批准人不能是同一人"):
        services.entry_reverse(actor=supervisor, entry=entry, reason="记错户了", requester=supervisor)
    with pytest.raises(PointsError, match="申请人应是该户的村民或管辖该户的工作人员"):
        services.entry_reverse(actor=supervisor, entry=entry, reason="记错户了",
                               requester=county.users["grid_worker_b"])
    assert not PointsEntry.objects.filter(kind=EntryKind.REVERSAL).exists()
    r = services.entry_reverse(actor=supervisor, entry=entry, reason="记错户了", requester=recorder).reversal
    r = PointsEntry.objects.select_related("review").get(pk=r.pk)
    assert (r.requested_by, r.recorder, r.review.reviewer, r.is_self_approved) == (recorder, supervisor, supervisor,
                                                                                  False)
    assert ledger.entry_row(r)["requested_by_id"] == recorder.pk
    assert_ledger_holds(county)


def test_the_townships_policy_may_let_one_person_ask_and_approve_and_the_entry_says_so(county, rules):
    from xiangzhi.points.models import PointsPolicy

    PointsPolicy.objects.create(township=county.town_a, self_approval=True)
    entry = record(county, rules)
    approve(county, entry)
    supervisor = county.users["points_supervisor"]
    r = services.entry_reverse(actor=supervisor, entry=entry, reason="记错户了", requester=supervisor).reversal
    r = PointsEntry.objects.select_related("review").get(pk=r.pk)
    assert (r.requested_by, r.review.reviewer, r.is_self_approved) == (supervisor, supervisor, True)
    assert_ledger_holds(county)


def test_who_asked_is_hashed_and_rows_without_it_hash_as_they_always_did(county, rules):
    from django.db import connection

    from xiangzhi.lib import hashchain

    plain = record(county, rules)
    assert "requested_by_id" not in ledger.entry_row(plain)
    assert plain.hash == hashchain.link(plain.prev_hash, {n: getattr(plain, n) for n in ledger.ENTRY_FIELDS})
    approve(county, plain)
    r = services.entry_reverse(actor=county.users["points_supervisor"], entry=plain, reason="记错户了",
                               requester=county.users["points_recorder"]).reversal
    assert_ledger_holds(county)
    if connection.vendor == "postgresql":
        return  # PostgreSQL refuses the UPDATE itself (append-only trigger)
    with connection.cursor() as cur:
        cur.execute("UPDATE points_pointsentry SET requested_by_id = %s WHERE id = %s",
                    [county.users["village_cadre"].pk, r.pk])
    broken = selectors.ledger_verify(county.village_a1)
    assert (broken.table, broken.seq, broken.code) == ("entry", r.seq, "hash_mismatch")
