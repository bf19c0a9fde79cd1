import datetime as dt
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.models import ApiToken, Role, Signup, SignupDecision, SignupStatus, SmsCode, User
from xiangzhi.accounts.rules import can_add_family_member, can_decide_signup
from xiangzhi.core.errors import Conflict, Invalid, NotFound, RateLimited, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.core.sms import GatewayError, sms_send
from xiangzhi.lib import crypto, idnumber
from xiangzhi.regions.models import Grid, Region, RegionLevel

logger = logging.getLogger("xiangzhi.accounts")

# No 0/O, 1/l/I: a temporary password is read out over the phone.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def api_token_issue(*, user: User) -> str:
    """A new bearer token, valid for API_TOKEN_DAYS; only its digest is kept, so this is the one time it is seen."""
    token = ApiToken.new_token()
    now = timezone.now()
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(token), prefix=token[:8],
                            expires_at=now + dt.timedelta(days=settings.API_TOKEN_DAYS))
    return token


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_tokens_revoke_all(*, user: User) -> int:
    """Ends every live token of ``user`` (logout, password change or reset, an admin's action)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def account_password_change(*, user: User, new_password: str) -> None:
    """The account holder's own change: the new password stands, the reset flag clears, tokens end."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    api_tokens_revoke_all(user=user)


@transaction.atomic
def account_password_reset(*, user: User) -> str:
    """An administrator's reset: a random temporary password (returned, shown once), every token
    revoked, and the holder must choose a new password at the next login."""
    temporary = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
    user.set_password(temporary)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    api_tokens_revoke_all(user=user)
    return temporary


@transaction.atomic
def account_password_set_by_admin(*, user: User, actor: User) -> None:
    """After an administrator typed a new password for someone else in the admin: that person's tokens
    end and they choose their own password at the next login."""
    api_tokens_revoke_all(user=user)
    if user.pk != actor.pk:
        User.objects.filter(pk=user.pk).update(must_change_password=True)


def account_create_for_staff(*, full_name: str, phone: str, role: str) -> tuple[User, str]:
    """A new staff account made by whoever staffs a grid: a random login and temporary password
    (returned once, to be sent to the holder's phone), which he must change at his first login."""
    if role not in Role.values or role == Role.RESIDENT:
        raise Invalid("账号角色不正确", fields=field_error("role", "角色不正确"))
    full_name = text(full_name, "full_name", "姓名", 50, required=True)
    phone = phone_clean(phone)
    phone_hash = crypto.lookup_hash(phone)
    if _phone_taken(phone_hash):
        raise Conflict("该手机号已有账号，请在“已有人员”中选择", fields=field_error("phone", "已有账号"))
    temporary = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
    while True:
        username = f"wg{secrets.randbelow(10**6):06d}"
        if not User.objects.filter(username=username).exists():
            break
    user = User(username=username, role=role, full_name=full_name, must_change_password=True)
    user.set_phone(phone)
    user.set_password(temporary)
    user.save()
    return user, temporary


# --- Residents sign themselves up ----------------------------------------------------------------
# A villager asks for a code by SMS, signs up with it (name, ID number or householder, password) and
# waits: his account is a resident without a household until the village cadre confirms it, binding
# it to a household of the village, or refuses it with a reason he is shown.

_PHONE = re.compile(r"1[3-9]\d{9}")
_CODE = re.compile(r"\d{6}")


def phone_clean(raw: str | None) -> str:
    """An 11-digit mainland mobile number, from what was typed (spaces, dashes and +86 dropped)."""
    value = re.sub(r"[\s-]", "", raw or "")
    value = value.removeprefix("+86").removeprefix("0086")
    if not _PHONE.fullmatch(value):
        raise Invalid("请填写正确的11位手机号", fields=field_error("phone", "手机号不正确"))
    return value


def _code_hash(phone_hash: str, code: str) -> str:
    return crypto.lookup_hash(f"sms-code:{phone_hash}:{code}")


def _phone_taken(phone_hash: str) -> bool:
    return User.objects.filter(phone_hash=phone_hash).exists()


def sms_code_send(*, phone: str, purpose: str, ip_address: str | None = None) -> str:
    """Send a fresh 6-digit code and return it (a demo page may show it). Refused, before anything is
    sent, when the phone or the address asked too often, when signing up with a phone that already has
    an account, or when logging in with one that has none. A new code replaces the phone's older one."""
    phone = phone_clean(phone)
    phone_hash = crypto.lookup_hash(phone)
    if purpose not in SmsCode.Purpose.values:
        raise Invalid("验证码用途不正确")
    if purpose == SmsCode.Purpose.SIGNUP and _phone_taken(phone_hash):
        raise Conflict("该手机号已注册，请直接登录（可用短信验证码登录）", fields=field_error("phone", "已注册"))
    if purpose == SmsCode.Purpose.LOGIN and not User.objects.filter(phone_hash=phone_hash, is_active=True).exists():
        raise Invalid("该手机号还没有注册账号，请先注册", fields=field_error("phone", "未注册"))
    now = timezone.now()
    hour_ago = now - dt.timedelta(hours=1)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        recent = SmsCode.objects.select_for_update().filter(phone_hash=phone_hash, created_at__gte=hour_ago)
        latest = recent.order_by("-created_at").first()
        interval = dt.timedelta(seconds=settings.SMS_CODE_INTERVAL_SECONDS)
        if latest is not None and latest.created_at > now - interval:
            wait = int((latest.created_at + interval - now).total_seconds()) + 1
            raise RateLimited(f"验证码已发送，请{wait}秒后再获取")
        if recent.count() >= settings.SMS_CODES_PER_PHONE_HOUR:
            raise RateLimited("这个手机号获取验证码太频繁，请1小时后再试")
        if ip_address and SmsCode.objects.filter(
            ip_address=ip_address, created_at__gte=hour_ago
        ).count() >= settings.SMS_CODES_PER_ADDRESS_HOUR:
            raise RateLimited("当前网络获取验证码太频繁，请稍后再试")
        SmsCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True).update(used_at=now)
        SmsCode.objects.create(
            phone_hash=phone_hash, purpose=purpose, code_hash=_code_hash(phone_hash, code), ip_address=ip_address,
            created_at=now, expires_at=now + dt.timedelta(minutes=settings.SMS_CODE_MINUTES),
        )
    label = SmsCode.Purpose(purpose).label
    try:
        sms_send(phone, f"【乡治】您的{label}验证码是{code}，{settings.SMS_CODE_MINUTES}分钟内有效，请勿告诉他人。")
    except GatewayError as exc:
        logger.warning("sms code not sent: %s", exc)
        raise Invalid("短信发送失败，请稍后再试") from exc
    return code


def sms_code_check(*, phone: str, purpose: str, code: str) -> None:
    """Use the phone's current code, or refuse. A wrong code counts against it; after
    SMS_CODE_ATTEMPTS wrong tries it is dead and a new one must be asked for.

    Runs in a transaction of its own and must not be wrapped in one that a refusal rolls back, or the
    wrong try would not be counted."""
    phone = phone_clean(phone)
    phone_hash = crypto.lookup_hash(phone)
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (SmsCode.objects.select_for_update()
               .filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
               .order_by("-created_at").first())
        if row is None:
            raise Invalid("验证码已失效，请重新获取", fields=field_error("code", "已失效"))
        if row.attempts >= settings.SMS_CODE_ATTEMPTS:
            raise Invalid("验证码输错次数太多，请重新获取", fields=field_error("code", "已失效"))
        matches = bool(_CODE.fullmatch(code)) and hmac.compare_digest(row.code_hash, _code_hash(phone_hash, code))
        if matches:
            row.used_at = now
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
    if not matches:
        left = settings.SMS_CODE_ATTEMPTS - row.attempts
        hint = f"，还可再试{left}次" if left > 0 else "，请重新获取"
        raise Invalid(f"验证码不正确{hint}", fields=field_error("code", "不正确"))


@dataclass(frozen=True)
class SignupDetails:
    """Who the applicant says he is: enough for the village cadre to recognise him."""

    village_id: int | None
    full_name: str
    id_number: str = ""
    head_name: str = ""
    note: str = ""


@dataclass(frozen=True)
class _Details:
    village: Region
    full_name: str
    id_number: str
    head_name: str
    note: str


def _details_clean(details: SignupDetails) -> _Details:
    village = Region.objects.filter(pk=details.village_id, level=RegionLevel.VILLAGE).first() \
        if details.village_id else None
    if village is None:
        raise Invalid("请选择您所在的村/社区", fields=field_error("village", "必选"))
    full_name = text(details.full_name, "full_name", "姓名", 50, required=True)
    head_name = text(details.head_name, "head_name", "户主姓名", 50)
    note = text(details.note, "note", "组别或住址", 100)
    id_number = (details.id_number or "").strip().upper()
    if id_number:
        try:
            id_number = idnumber.parse(id_number).value
        except idnumber.IdNumberError as exc:
            raise Invalid(str(exc), fields=field_error("id_number", "不正确")) from None
    elif not head_name:
        raise Invalid("请填写身份证号，或者填写户主姓名，方便村里核对", fields=field_error("id_number", "必填"))
    return _Details(village=village, full_name=full_name, id_number=id_number, head_name=head_name, note=note)


def _signup_open(user: User, d: _Details) -> Signup:
    signup = Signup(user=user, village=d.village, full_name=d.full_name, head_name=d.head_name, note=d.note)
    signup.set_id_number(d.id_number)
    signup.save()
    return signup


def _new_username() -> str:
    # Not the phone: usernames are not secret, phones are kept encrypted. Nobody types this one.
    while True:
        username = f"jm{secrets.token_hex(5)}"
        if not User.objects.filter(username=username).exists():
            return username


def signup_create(*, phone: str, code: str, password: str, details: SignupDetails) -> Signup:
    """A villager's own sign-up: checked in full first, then the SMS code is used, then the account
    (a resident without a household) and its pending sign-up are written."""
    phone = phone_clean(phone)
    d = _details_clean(details)
    try:
        validate_password(password, User(full_name=d.full_name))
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), fields=field_error("password", "密码不符合要求")) from None
    phone_hash = crypto.lookup_hash(phone)
    if _phone_taken(phone_hash):
        raise Conflict("该手机号已注册，请直接登录", fields=field_error("phone", "已注册"))
    sms_code_check(phone=phone, purpose=SmsCode.Purpose.SIGNUP, code=code)
    with transaction.atomic():
        user = User(username=_new_username(), role=Role.RESIDENT, full_name=d.full_name)
        user.set_phone(phone)
        user.set_password(password)
        user.save()
        return _signup_open(user, d)


def signup_resubmit(*, user: User, details: SignupDetails) -> Signup:
    """After a refusal, the applicant corrects what he gave and asks again."""
    if user.role != Role.RESIDENT or user.household_id:
        raise Conflict("您的账号已经绑定到户，无需再申请")
    d = _details_clean(details)
    with transaction.atomic():
        if Signup.objects.select_for_update().filter(user=user, status=SignupStatus.PENDING).exists():
            raise Conflict("您的申请正在等待村里确认")
        user.full_name = d.full_name
        user.save(update_fields=["full_name"])
        return _signup_open(user, d)


def _sms_quietly(user: User, message: str) -> None:
    """A notice by SMS after the decision is written; a gateway failure is logged, never undoes it."""
    phone = crypto.decrypt(user.phone_encrypted) if user.phone_encrypted else ""
    if not phone:
        return
    try:
        sms_send(phone, message)
    except GatewayError as exc:
        logger.warning("sms to account %s not sent: %s", user.pk, exc)


def _signup_locked_pending(signup: Signup) -> Signup:
    locked = Signup.objects.select_for_update().select_related("user", "village").get(pk=signup.pk)
    if locked.status != SignupStatus.PENDING:
        raise Conflict(f"该申请已处理（{locked.get_status_display()}）")
    return locked


def signup_confirm(*, signup: Signup, actor: User, household_id: int, resident_id: int | None = None) -> Signup:
    """The village cadre binds the account to a household of his village. With ``resident_id`` (the
    resident whose ID number matched) the account stands for that resident and takes his name."""
    require(can_decide_signup(actor, signup), "只有本村的村两委可以确认注册申请")
    with transaction.atomic():
        signup = _signup_locked_pending(signup)
        households = Grid.objects.filter(path__startswith=signup.village.path, households__id=household_id)
        if not households.exists():
            raise Invalid("请选择本村的一户", fields=field_error("household", "不在本村"))
        user = signup.user
        fields = ["household"]
        if resident_id is not None:
            resident = households.filter(households__residents__id=resident_id).values(
                "households__residents__name").first()
            if resident is None:
                raise Invalid("所选居民不在这一户", fields=field_error("resident", "不在该户"))
            if User.objects.filter(resident_id=resident_id).exclude(pk=user.pk).exists():
                raise Conflict("这位居民已经有账号了，请核实后再处理")
            user.resident_id = resident_id
            user.full_name = resident["households__residents__name"]
            fields += ["resident", "full_name"]
        user.household_id = household_id
        user.save(update_fields=fields)
        signup.status = SignupStatus.CONFIRMED
        signup.household_id = household_id
        signup.save(update_fields=["status", "household"])
        SignupDecision.objects.create(signup=signup, actor=actor, decision=SignupStatus.CONFIRMED,
                                      household_id=household_id)
        transaction.on_commit(lambda: _sms_quietly(user, "【乡治】村里已确认您的注册，现在可以登录乡治了。"))
    return signup


def signup_refuse(*, signup: Signup, actor: User, reason: str) -> Signup:
    """The village cadre refuses, saying why; the applicant reads the reason when he logs in and by SMS."""
    require(can_decide_signup(actor, signup), "只有本村的村两委可以处理注册申请")
    reason = text(reason, "reason", "不通过的理由", 200, required=True)
    with transaction.atomic():
        signup = _signup_locked_pending(signup)
        signup.status = SignupStatus.REFUSED
        signup.save(update_fields=["status"])
        SignupDecision.objects.create(signup=signup, actor=actor, decision=SignupStatus.REFUSED, reason=reason)
        user = signup.user
        transaction.on_commit(lambda: _sms_quietly(
            user, f"【乡治】您的注册申请未通过：{reason}。可登录乡治修改后重新申请，或联系村委会。"))
    return signup


def sms_login_user(*, phone: str, code: str) -> User:
    """The account a login by SMS code opens, once the code checks out."""
    phone = phone_clean(phone)
    users = list(User.objects.filter(phone_hash=crypto.lookup_hash(phone), is_active=True)[:2])
    if len(users) != 1:
        # None (the code page refuses that before a code is sent) or a number shared by two staff
        # accounts, which only a password can tell apart.
        raise Invalid("这个手机号不能用验证码登录，请用用户名和密码登录", fields=field_error("phone", "不可用"))
    sms_code_check(phone=phone, purpose=SmsCode.Purpose.LOGIN, code=code)
    return users[0]


def family_member_add(*, actor: User, resident_id: int, phone: str) -> User:
    """A confirmed resident opens an account for a member of his own household (one already on the
    register); the member logs in by SMS code on that phone."""
    require(can_add_family_member(actor), "只有已确认的村民可以添加家庭成员")
    assert actor.household is not None
    resident = actor.household.residents.filter(pk=resident_id).values("pk", "name").first()
    if resident is None:
        raise NotFound("这位家庭成员不在您家的户籍里")
    phone = phone_clean(phone)
    phone_hash = crypto.lookup_hash(phone)
    with transaction.atomic():
        if User.objects.select_for_update().filter(resident_id=resident_id).exists():
            raise Conflict(f"{resident['name']}已经有账号了")
        if _phone_taken(phone_hash):
            raise Conflict("这个手机号已经被其他账号使用", fields=field_error("phone", "已使用"))
        user = User(username=_new_username(), role=Role.RESIDENT, full_name=resident["name"],
                    household_id=actor.household_id, resident_id=resident_id)
        user.set_phone(phone)
        user.set_unusable_password()
        user.save()
        inviter = actor.full_name or "您的家人"
        transaction.on_commit(lambda: _sms_quietly(
            user, f"【乡治】{inviter}为您开通了乡治账号，请用本手机号和短信验证码登录。"))
    return user


def user_wechat_bind(user: User, openid: str) -> None:
    """Bind the account to a WeChat openid (what the WeChat gateway reports); one account per openid."""
    openid = text(openid, "openid", "微信 openid", 64, required=True)
    with transaction.atomic():
        if User.objects.select_for_update().filter(wechat_openid=openid).exclude(pk=user.pk).exists():
            raise Conflict("这个微信已经绑定了其他账号")
        user.wechat_openid = openid
        user.save(update_fields=["wechat_openid"])


def user_wechat_unbind(user: User) -> None:
    user.wechat_openid = ""
    user.save(update_fields=["wechat_openid"])
