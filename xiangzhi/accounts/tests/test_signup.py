"""Residents sign themselves up by SMS code; the village cadre confirms or refuses; login by code;
family members; the WeChat openid."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role, Signup, SignupDecision, SignupStatus, SmsCode, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.accounts.selectors import (
    family_member_list_for,
    signup_household_choices,
    signup_household_match,
    signup_list_for_user,
    signup_pending_count,
)
from xiangzhi.accounts.services import (
    SignupDetails,
    family_member_add,
    signup_confirm,
    signup_create,
    signup_refuse,
    signup_resubmit,
    sms_code_check,
    sms_code_send,
    sms_login_user,
    user_wechat_bind,
)
from xiangzhi.accounts.tests.signup_helpers import NEW_PASSWORD, PHONE, id_number_of, last_code, sign_up
from xiangzhi.core import sms
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.lib import crypto

SIGNUP = SmsCode.Purpose.SIGNUP
LOGIN = SmsCode.Purpose.LOGIN


@pytest.fixture(autouse=True)
def console_sms(settings):
    settings.SMS_BACKEND = sms.CONSOLE
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _age_codes(phone=PHONE, **delta):
    SmsCode.objects.filter(phone_hash=crypto.lookup_hash(phone)).update(
        created_at=timezone.now() - dt.timedelta(**delta), expires_at=timezone.now() - dt.timedelta(**delta)
        + dt.timedelta(minutes=5))


# --- codes -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_code_is_sent_as_six_digits_and_stored_only_hashed(county):
    code = sms_code_send(phone="139 1234 5678", purpose=SIGNUP, ip_address="10.0.0.1")
    assert len(code) == 6 and code.isdigit()
    (message,) = sms.outbox
    assert message.phone == PHONE and code in message.text and "5分钟" in message.text
    row = SmsCode.objects.values().get()
    assert code not in {str(v) for v in row.values()}
    assert PHONE not in {str(v) for v in row.values()}
    assert row["expires_at"] - row["created_at"] == dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_a_wrong_phone_number_is_refused_in_chinese(county):
    with pytest.raises(Invalid, match="11位手机号"):
        sms_code_send(phone="12345", purpose=SIGNUP)
    assert sms.outbox == type(sms.outbox)(maxlen=sms.outbox.maxlen)


@pytest.mark.django_db
def test_a_code_works_once_and_a_wrong_one_is_counted(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(Invalid, match="验证码不正确，还可再试4次"):
        sms_code_check(phone=PHONE, purpose=SIGNUP, code=wrong)
    assert SmsCode.objects.get().attempts == 1
    sms_code_check(phone=PHONE, purpose=SIGNUP, code=code)
    with pytest.raises(Invalid, match="已失效"):
        sms_code_check(phone=PHONE, purpose=SIGNUP, code=code)


@pytest.mark.django_db
def test_after_five_wrong_tries_even_the_right_code_is_dead(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(Invalid):
            sms_code_check(phone=PHONE, purpose=SIGNUP, code=wrong)
    with pytest.raises(Invalid, match="输错次数太多"):
        sms_code_check(phone=PHONE, purpose=SIGNUP, code=code)


@pytest.mark.django_db
def test_a_code_expires_after_five_minutes(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    code = last_code()
    _age_codes(minutes=6)
    with pytest.raises(Invalid, match="已失效"):
        sms_code_check(phone=PHONE, purpose=SIGNUP, code=code)


@pytest.mark.django_db
def test_a_signup_code_does_not_log_in(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    with pytest.raises(Invalid):
        sms_code_check(phone=PHONE, purpose=LOGIN, code=last_code())


@pytest.mark.django_db
def test_codes_are_rate_limited_per_phone(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    with pytest.raises(RateLimited, match="秒后再获取"):
        sms_code_send(phone=PHONE, purpose=SIGNUP)
    for _ in range(4):
        _age_codes(seconds=61)
        sms_code_send(phone=PHONE, purpose=SIGNUP)
    _age_codes(seconds=61)
    with pytest.raises(RateLimited, match="1小时后再试"):
        sms_code_send(phone=PHONE, purpose=SIGNUP)
    assert len(sms.outbox) == 5
    _age_codes(minutes=61)
    sms_code_send(phone=PHONE, purpose=SIGNUP)


@pytest.mark.django_db
def test_codes_are_rate_limited_per_address(settings, county):
    settings.SMS_CODES_PER_ADDRESS_HOUR = 3
    for i in range(3):
        sms_code_send(phone=f"1391234560{i}", purpose=SIGNUP, ip_address="10.9.9.9")
    with pytest.raises(RateLimited, match="当前网络"):
        sms_code_send(phone="13912345609", purpose=SIGNUP, ip_address="10.9.9.9")
    sms_code_send(phone="13912345609", purpose=SIGNUP, ip_address="10.9.9.10")


@pytest.mark.django_db
def test_a_new_code_replaces_the_old_one(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    old = last_code()
    _age_codes(seconds=61)
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    new = last_code()
    if old != new:
        with pytest.raises(Invalid):
            sms_code_check(phone=PHONE, purpose=SIGNUP, code=old)
    sms_code_check(phone=PHONE, purpose=SIGNUP, code=new)


@pytest.mark.django_db
def test_the_gateway_backend_posts_and_a_failure_is_told_in_chinese(settings, county):
    settings.SMS_BACKEND = sms.GATEWAY
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(Invalid, match="短信发送失败"):
        sms_code_send(phone=PHONE, purpose=SIGNUP)


# --- sign-up -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_signup_makes_a_resident_without_a_household_who_sees_nothing(county):
    signup = sign_up(county.village_a1, id_number=id_number_of(county.households["a1"].residents.first()))
    user = signup.user
    assert (user.role, user.household_id, user.full_name) == (Role.RESIDENT, None, "张小明")
    assert user.phone_masked == "139****5678" and user.check_password(NEW_PASSWORD)
    assert PHONE not in user.username
    assert signup.status == SignupStatus.PENDING and signup.id_number_masked.count("*") > 0
    assert scope_of(User.objects.get(pk=user.pk)).is_empty
    # The phone number and password open the account at the login form.
    assert authenticate(RequestFactory().post("/accounts/login/"), username=PHONE, password=NEW_PASSWORD) == user


@pytest.mark.django_db
def test_a_signup_needs_an_id_number_or_the_householder(county):
    sms_code_send(phone=PHONE, purpose=SIGNUP)
    details = SignupDetails(village_id=county.village_a1.pk, full_name="张小明")
    with pytest.raises(Invalid, match="户主姓名"):
        signup_create(phone=PHONE, code=last_code(), password=NEW_PASSWORD, details=details)
    bad = SignupDetails(village_id=county.village_a1.pk, full_name="张小明", id_number="371603197001010000")
    with pytest.raises(Invalid, match="校验位"):
        signup_create(phone=PHONE, code=last_code(), password=NEW_PASSWORD, details=bad)
    township = SignupDetails(village_id=county.town_a.pk, full_name="张小明", head_name="张建国")
    with pytest.raises(Invalid, match="村/社区"):
        signup_create(phone=PHONE, code=last_code(), password=NEW_PASSWORD, details=township)
    weak = SignupDetails(village_id=county.village_a1.pk, full_name="张小明", head_name="张建国")
    with pytest.raises(Invalid, match="密码"):
        signup_create(phone=PHONE, code=last_code(), password="12345678", details=weak)
    # None of those refusals used up the code.
    signup_create(phone=PHONE, code=last_code(), password=NEW_PASSWORD, details=weak)
    assert Signup.objects.count() == 1


@pytest.mark.django_db
def test_a_phone_with_an_account_cannot_sign_up_again(county):
    sign_up(county.village_a1, head_name="张建国")
    with pytest.raises(Conflict, match="已注册"):
        sms_code_send(phone=PHONE, purpose=SIGNUP)


# --- the village confirms --------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_cadre_sees_his_villages_signups_with_the_household_the_id_number_matches(county):
    resident = county.households["a1"].residents.order_by("pk")[1]
    mine = sign_up(county.village_a1, id_number=id_number_of(resident))
    other = sign_up(county.village_b1, phone="13912345679", head_name="赵永刚")
    cadre = county.users["village_cadre"]
    assert list(signup_list_for_user(cadre)) == [mine]
    assert signup_pending_count(cadre) == 1
    match = signup_household_match(mine)
    assert (match.id, match.resident_id, match.resident_name) == (county.households["a1"].pk, resident.pk,
                                                                  resident.name)
    assert signup_household_match(other) is None
    assert [c.id for c in signup_household_choices(other)] == [county.households["b1"].pk]
    for role in ("resident", "grid_worker", "township_staff", "points_recorder"):
        assert signup_pending_count(county.users[role]) == 0


@pytest.mark.django_db
def test_confirming_binds_the_account_to_the_household_and_the_residents_name(county,
                                                                             django_capture_on_commit_callbacks):
    resident = county.households["a1"].residents.order_by("pk")[1]
    signup = sign_up(county.village_a1, full_name="小明", id_number=id_number_of(resident))
    cadre = county.users["village_cadre"]
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signup_confirm(signup=signup, actor=cadre, household_id=county.households["a1"].pk, resident_id=resident.pk)
    user = User.objects.get(pk=signup.user_id)
    assert (user.household_id, user.resident_id, user.full_name) == (county.households["a1"].pk, resident.pk,
                                                                     resident.name)
    signup.refresh_from_db()
    assert signup.status == SignupStatus.CONFIRMED
    (decision,) = SignupDecision.objects.all()
    assert (decision.actor, decision.decision, decision.household_id) == (cadre, SignupStatus.CONFIRMED,
                                                                          county.households["a1"].pk)
    assert "已确认" in sms.outbox[-1].text and sms.outbox[-1].phone == PHONE
    assert scope_of(user).household_id == county.households["a1"].pk
    assert signup_pending_count(cadre) == 0
    with pytest.raises(Conflict, match="已处理"):
        signup_refuse(signup=signup, actor=cadre, reason="重复")
    with pytest.raises(AppendOnlyError):
        decision.delete()


@pytest.mark.django_db
def test_the_cadre_may_pick_a_household_of_his_village_only(county):
    signup = sign_up(county.village_a1, head_name="李秀英")
    cadre = county.users["village_cadre"]
    assert [c.id for c in signup_household_choices(signup)] == [county.households["a1_micro"].pk]
    with pytest.raises(Invalid, match="本村"):
        signup_confirm(signup=signup, actor=cadre, household_id=county.households["a2"].pk)
    signup_confirm(signup=signup, actor=cadre, household_id=county.households["a1_micro"].pk)
    user = User.objects.get(pk=signup.user_id)
    assert (user.household_id, user.resident_id, user.full_name) == (county.households["a1_micro"].pk, None, "张小明")


@pytest.mark.django_db
def test_a_cadre_of_another_village_and_a_resident_cannot_decide(county):
    signup = sign_up(county.village_a1, head_name="张建国")
    other_cadre = UserFactory(role=Role.VILLAGE_CADRE, region=county.village_b1)
    for actor in (other_cadre, county.users["resident"], county.users["township_staff"],
                  county.users["grid_worker"]):
        with pytest.raises(Forbidden):
            signup_confirm(signup=signup, actor=actor, household_id=county.households["a1"].pk)
        with pytest.raises(Forbidden):
            signup_refuse(signup=signup, actor=actor, reason="不认识")
    assert not SignupDecision.objects.exists()
    assert User.objects.get(pk=signup.user_id).household_id is None


@pytest.mark.django_db
def test_a_refusal_keeps_its_reason_tells_the_applicant_and_he_may_ask_again(county,
                                                                             django_capture_on_commit_callbacks):
    signup = sign_up(county.village_a1, head_name="张建国")
    cadre = county.users["village_cadre"]
    with pytest.raises(Invalid, match="理由"):
        signup_refuse(signup=signup, actor=cadre, reason="  ")
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signup_refuse(signup=signup, actor=cadre, reason="本村没有这户人家，请到村委会登记")
    (decision,) = SignupDecision.objects.all()
    assert (decision.decision, decision.reason) == (SignupStatus.REFUSED, "本村没有这户人家，请到村委会登记")
    assert "本村没有这户人家" in sms.outbox[-1].text
    again = signup_resubmit(user=signup.user, details=SignupDetails(
        village_id=county.village_a1.pk, full_name="张小明", head_name="李秀英"))
    assert again.status == SignupStatus.PENDING and list(signup_list_for_user(cadre)) == [again]
    with pytest.raises(Conflict, match="等待"):
        signup_resubmit(user=signup.user, details=SignupDetails(
            village_id=county.village_a1.pk, full_name="张小明", head_name="李秀英"))


@pytest.mark.django_db
def test_a_resident_with_an_account_cannot_be_claimed_twice(county):
    resident = county.households["a1"].residents.order_by("pk")[1]
    cadre = county.users["village_cadre"]
    first = sign_up(county.village_a1, id_number=id_number_of(resident))
    signup_confirm(signup=first, actor=cadre, household_id=county.households["a1"].pk, resident_id=resident.pk)
    second = sign_up(county.village_a1, phone="13912345679", id_number=id_number_of(resident))
    with pytest.raises(Conflict, match="已经有账号"):
        signup_confirm(signup=second, actor=cadre, household_id=county.households["a1"].pk, resident_id=resident.pk)


# --- login by code, family members, WeChat ------------------------------------------------------------

@pytest.mark.django_db
def test_login_by_sms_code(county):
    signup = sign_up(county.village_a1, head_name="张建国")
    with pytest.raises(Invalid, match="还没有注册"):
        sms_code_send(phone="13912340000", purpose=LOGIN)
    _age_codes(seconds=61)
    sms_code_send(phone=PHONE, purpose=LOGIN)
    assert sms_login_user(phone=PHONE, code=last_code()) == signup.user
    with pytest.raises(Invalid):
        sms_login_user(phone=PHONE, code=last_code())


@pytest.mark.django_db
def test_a_confirmed_resident_opens_an_account_for_a_family_member(county, django_capture_on_commit_callbacks):
    villager = county.users["resident"]  # of household a1
    member = county.households["a1"].residents.order_by("pk")[2]
    assert [m.id for m in family_member_list_for(villager) if not m.has_account] == list(
        county.households["a1"].residents.order_by("pk").values_list("pk", flat=True))
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account = family_member_add(actor=villager, resident_id=member.pk, phone="13712345678")
    assert (account.household_id, account.resident_id, account.full_name, account.has_usable_password()) == (
        county.households["a1"].pk, member.pk, member.name, False)
    assert "短信验证码登录" in sms.outbox[-1].text and sms.outbox[-1].phone == "13712345678"
    assert [m.has_account for m in family_member_list_for(villager) if m.id == member.pk] == [True]
    with pytest.raises(Conflict, match="已经有账号"):
        family_member_add(actor=villager, resident_id=member.pk, phone="13712345679")
    # The member logs in by code.
    sms_code_send(phone="13712345678", purpose=LOGIN)
    assert sms_login_user(phone="13712345678", code=last_code("13712345678")) == account


@pytest.mark.django_db
def test_no_family_member_from_another_household_nor_by_a_pending_applicant(county):
    villager = county.users["resident"]
    stranger = county.households["b1"].residents.first()
    with pytest.raises(NotFound):
        family_member_add(actor=villager, resident_id=stranger.pk, phone="13712345678")
    pending = sign_up(county.village_a1, head_name="张建国").user
    with pytest.raises(Forbidden):
        family_member_add(actor=pending, resident_id=county.households["a1"].residents.first().pk,
                          phone="13712345678")
    with pytest.raises(Forbidden):
        family_member_add(actor=county.users["village_cadre"], resident_id=stranger.pk, phone="13712345678")
    with pytest.raises(Conflict, match="其他账号"):
        family_member_add(actor=villager, resident_id=county.households["a1"].residents.first().pk, phone=PHONE)


@pytest.mark.django_db
def test_a_wechat_openid_binds_to_one_account_only(county):
    worker, chief = county.users["grid_worker"], county.users["grid_chief"]
    user_wechat_bind(worker, "oWx-1")
    assert User.objects.get(pk=worker.pk).wechat_openid == "oWx-1"
    with pytest.raises(Conflict, match="其他账号"):
        user_wechat_bind(chief, "oWx-1")
    assert User.objects.filter(wechat_openid="").count() == User.objects.count() - 1  # blank stays allowed
