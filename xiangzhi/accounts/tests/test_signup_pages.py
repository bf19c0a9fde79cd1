"""The sign-up, SMS-login, waiting, review and family pages, as the people using them see them."""

import pytest

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role, SignupDecision, SignupStatus, SmsCode, User
from xiangzhi.accounts.services import signup_refuse
from xiangzhi.accounts.tests.signup_helpers import NEW_PASSWORD, PHONE, id_number_of, last_code, sign_up
from xiangzhi.core import sms


@pytest.fixture(autouse=True)
def console_sms(settings):
    settings.SMS_BACKEND = sms.CONSOLE
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _signup_form(county, **extra):
    return {"phone": PHONE, "village": county.village_a1.pk, "full_name": "张小明", "head_name": "张建国",
            "password": NEW_PASSWORD, "password2": NEW_PASSWORD, "action": "signup", **extra}


@pytest.mark.django_db
def test_the_login_page_leads_to_sign_up_and_to_sms_login(client, county):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/signup/"' in page and 'href="/accounts/login/sms/"' in page
    signup_page = client.get("/accounts/signup/").content.decode()
    assert "村民注册" in signup_page and "东村" in signup_page and "获取验证码" in signup_page


@pytest.mark.django_db
def test_a_villager_signs_up_on_the_page_and_waits_for_the_village(client, county, settings):
    settings.DEBUG = True
    sent = client.post("/accounts/signup/", {"phone": PHONE, "action": "send_code"})
    page = sent.content.decode()
    assert sent.status_code == 200 and "验证码已发送" in page
    assert f"验证码是 {last_code()}" in page  # a demo shows it; the console backend sent nothing
    wrong = client.post("/accounts/signup/", _signup_form(county, code="000000" if last_code() != "000000" else "1"))
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    mismatch = client.post("/accounts/signup/", _signup_form(county, code=last_code(), password2="x"))
    assert "两次输入的密码不一致" in mismatch.content.decode()
    done = client.post("/accounts/signup/", _signup_form(county, code=last_code()))
    assert done["Location"] == "/accounts/pending/"
    waiting = client.get("/accounts/pending/").content.decode()
    assert "等待村里确认" in waiting and "东村" in waiting and "张小明" in waiting
    # Nothing else opens until the village confirms.
    assert client.get("/")["Location"] == "/accounts/pending/"
    assert client.get("/cases/new/")["Location"] == "/accounts/pending/"
    api = client.get("/api/v1/auth/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "signup_pending"


@pytest.mark.django_db
def test_without_debug_the_code_is_not_on_the_page(client, county):
    page = client.post("/accounts/signup/", {"phone": PHONE, "action": "send_code"}).content.decode()
    assert "验证码已发送" in page and last_code() not in page


@pytest.mark.django_db
def test_a_refused_applicant_reads_the_reason_when_he_logs_in(client, county):
    signup = sign_up(county.village_a1, head_name="张建国")
    signup_refuse(signup=signup, actor=county.users["village_cadre"], reason="户籍里查不到您，请来村委会")
    assert client.post("/accounts/login/", {"username": PHONE, "password": NEW_PASSWORD})["Location"] == "/"
    page = client.get("/accounts/pending/").content.decode()
    assert "注册申请未通过" in page and "户籍里查不到您，请来村委会" in page and "重新提交" in page
    again = client.post("/accounts/pending/", {"village": county.village_a1.pk, "full_name": "张小明",
                                               "head_name": "李秀英"})
    assert again["Location"] == "/accounts/pending/"
    assert "等待村里确认" in client.get("/accounts/pending/").content.decode()


@pytest.mark.django_db
def test_the_cadre_confirms_with_one_tap(client, county):
    resident = county.households["a1"].residents.order_by("pk")[1]
    signup = sign_up(county.village_a1, id_number=id_number_of(resident))
    client.force_login(county.users["village_cadre"])
    page = client.get("/accounts/signups/").content.decode()
    assert "张小明" in page and "张建国户" in page and resident.name in page and "139****5678" in page
    assert 'href="/accounts/signups/"' in client.get("/accounts/me/").content.decode()  # the menu entry
    done = client.post(f"/accounts/signups/{signup.pk}/decide/",
                       {"household": county.households["a1"].pk, "resident": resident.pk}, follow=True)
    assert "已确认张小明的注册" in done.content.decode()
    assert "没有等待确认的注册申请" in done.content.decode()
    assert User.objects.get(pk=signup.user_id).household_id == county.households["a1"].pk


@pytest.mark.django_db
def test_the_cadre_picks_a_household_or_refuses_on_the_detail_page(client, county):
    signup = sign_up(county.village_a1, head_name="李秀英")
    client.force_login(county.users["village_cadre"])
    detail = client.get(f"/accounts/signups/{signup.pk}/").content.decode()
    assert "李秀英户" in detail and "退回" in detail
    search = client.get(f"/accounts/signups/{signup.pk}/", {"q": "张建国"}).content.decode()
    assert "张建国户" in search
    empty = client.post(f"/accounts/signups/{signup.pk}/decide/", {"decision": "refuse", "reason": ""}, follow=True)
    assert "请填写不通过的理由" in empty.content.decode()
    client.post(f"/accounts/signups/{signup.pk}/decide/", {"decision": "refuse", "reason": "不是本村人"})
    assert SignupDecision.objects.get().decision == SignupStatus.REFUSED


@pytest.mark.django_db
def test_the_review_pages_refuse_other_roles_and_other_villages(client, county):
    signup = sign_up(county.village_a1, head_name="张建国")
    for role in ("resident", "grid_worker", "township_staff"):
        client.force_login(county.users[role])
        assert client.get("/accounts/signups/").status_code == 403
        denied = client.post(f"/accounts/signups/{signup.pk}/decide/", {"household": county.households["a1"].pk})
        assert denied.status_code == 403
    client.force_login(UserFactory(role=Role.VILLAGE_CADRE, region=county.village_b1))
    assert "张小明" not in client.get("/accounts/signups/").content.decode()
    assert client.get(f"/accounts/signups/{signup.pk}/").status_code == 404
    assert client.post(f"/accounts/signups/{signup.pk}/decide/",
                       {"household": county.households["a1"].pk}).status_code == 404
    assert not SignupDecision.objects.exists()


@pytest.mark.django_db
def test_login_by_sms_code_on_the_page(client, county):
    sign_up(county.village_a1, head_name="张建国")
    unknown = client.post("/accounts/login/sms/", {"phone": "13900000000", "action": "send_code"})
    assert unknown.status_code == 400 and "还没有注册" in unknown.content.decode()
    SmsCode.objects.update(created_at="2000-01-01T00:00:00Z")
    sent = client.post("/accounts/login/sms/", {"phone": PHONE, "action": "send_code"})
    assert "验证码已发送" in sent.content.decode()
    done = client.post("/accounts/login/sms/", {"phone": PHONE, "code": last_code(), "action": "login"})
    assert done["Location"] == "/"
    assert client.get("/")["Location"] == "/accounts/pending/"  # logged in, still waiting


@pytest.mark.django_db
def test_the_family_page(client, county):
    client.force_login(county.users["resident"])
    page = client.get("/accounts/family/").content.decode()
    member = county.households["a1"].residents.order_by("pk")[2]
    assert member.name in page and "开通账号" in page
    bad = client.post("/accounts/family/", {"resident": member.pk, "phone": "123"})
    assert bad.status_code == 400 and "11位手机号" in bad.content.decode()
    done = client.post("/accounts/family/", {"resident": member.pk, "phone": "13712345678"}, follow=True)
    assert f"已为{member.name}开通账号" in done.content.decode()
    client.force_login(county.users["village_cadre"])
    assert client.get("/accounts/family/").status_code == 403
