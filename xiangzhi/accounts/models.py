import hashlib
import secrets
from typing import TypeAlias

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from xiangzhi.core.models import AppendOnly
from xiangzhi.lib import crypto, idnumber


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", "县级管理员"
    TOWNSHIP_STAFF = "township_staff", "乡镇/街道综治中心"
    DEPARTMENT_STAFF = "department_staff", "职能部门"
    VILLAGE_CADRE = "village_cadre", "村两委"
    GRID_CHIEF = "grid_chief", "网格长"
    GRID_WORKER = "grid_worker", "网格员"
    GRID_GUIDE = "grid_guide", "网格指导员"
    POINTS_RECORDER = "points_recorder", "积分管理员"
    POINTS_SUPERVISOR = "points_supervisor", "积分监督员"
    RESIDENT = "resident", "村民"
    INSPECTOR = "inspector", "督查员"


# Which kind of scope node each role stands on (PRODUCT.md, "Users and where they stand").
REGION_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR,
     Role.INSPECTOR}
)
GRID_ROLES = frozenset({Role.GRID_CHIEF, Role.GRID_WORKER, Role.GRID_GUIDE})
REGION_LEVEL_FOR_ROLE = {
    Role.COUNTY_ADMIN: "county",
    Role.TOWNSHIP_STAFF: "township",
    Role.VILLAGE_CADRE: "village",
    Role.POINTS_RECORDER: "village",
    Role.POINTS_SUPERVISOR: "village",
    Role.INSPECTOR: "township",  # 督查员: the township's (or, set by the county, the county's) monthly inspector
}


class User(AbstractUser):
    """An account. Its scope is a region (county … village), the grids it is assigned to,
    a department, or one household, by role."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    # Stored like a resident's phone: encrypted, a keyed hash for lookup, a masked copy for display.
    phone_encrypted = models.CharField(max_length=100, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField("手机号", max_length=20, blank=True)
    role = models.CharField("角色", max_length=24, choices=Role.choices, default=Role.RESIDENT)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="管辖区域"
    )
    department = models.ForeignKey(
        "regions.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name="所属部门",
    )
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="accounts",
        verbose_name="所属户",
    )
    must_change_password = models.BooleanField(
        "下次登录须改密码", default=False, help_text="管理员重置密码后置位；本人修改密码前只能打开改密码页面。"
    )
    # The register entry a resident's account stands for, set when the village confirms a sign-up or a
    # family member is added: one account per resident.
    resident = models.OneToOneField(
        "people.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="account",
        verbose_name="对应居民",
    )
    wechat_openid = models.CharField(
        "微信 openid", max_length=64, blank=True, default="",
        help_text="绑定的微信公众号 openid；消息的微信渠道发到这里。留空表示未绑定。",
    )

    # The account's Scope, worked out once by ``accounts.scope.scope_of`` and kept on the object.
    _xiangzhi_scope: object

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        constraints = [
            models.UniqueConstraint(fields=["wechat_openid"], condition=~Q(wechat_openid=""),
                                    name="user_wechat_openid_unique_when_set"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def set_phone(self, value: str) -> None:
        self.phone_encrypted, self.phone_hash, self.phone_masked = crypto.seal(value, idnumber.mask_phone)

    # Write-only, so ``User(phone=...)`` stores it encrypted and no template can print the plain number;
    # the one reader that needs it (the SMS channel) decrypts ``phone_encrypted`` itself.
    phone = property(fset=set_phone, doc="手机号（只写：读 phone_masked，或解密 phone_encrypted）")


# Whoever a request stands for, signed in or not: what the rules and ``scope_of`` answer for.
AnyUser: TypeAlias = User | AnonymousUser


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return "xz_" + secrets.token_urlsafe(32)


class SmsCode(models.Model):
    """A one-time code sent by SMS to sign up or to log in. Only a keyed hash of the code is kept; it
    ends at ``expires_at``, after ``SMS_CODE_ATTEMPTS`` wrong tries, or once used."""

    class Purpose(models.TextChoices):
        SIGNUP = "signup", "注册"
        LOGIN = "login", "登录"
        REPORT = "report", "反映问题"  # 码上办: a phone confirmed without an account

    phone_hash = models.CharField(max_length=64)
    purpose = models.CharField("用途", max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField("输错次数", default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["phone_hash", "created_at"], name="smscode_phone_created"),
            models.Index(fields=["ip_address", "created_at"], name="smscode_address_created"),
        ]
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}验证码（{self.created_at:%Y-%m-%d %H:%M}）"


class SignupStatus(models.TextChoices):
    PENDING = "pending", "待村里确认"
    CONFIRMED = "confirmed", "已确认"
    REFUSED = "refused", "未通过"


class Signup(models.Model):
    """A villager's own sign-up: the account exists (a resident without a household) and waits for
    the village cadre, who binds it to a household of the village or refuses it with a reason. Each
    decision is a ``SignupDecision`` row; ``status`` follows the latest one."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="signups")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    full_name = models.CharField("姓名", max_length=50)
    id_number_encrypted = models.CharField(max_length=100, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    head_name = models.CharField("户主姓名", max_length=50, blank=True)
    note = models.CharField("组别或住址", max_length=100, blank=True)
    status = models.CharField("状态", max_length=16, choices=SignupStatus.choices, default=SignupStatus.PENDING)
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="绑定的户"
    )
    created_at = models.DateTimeField("申请时间", default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["village", "status"], name="signup_village_status")]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="pending"), name="signup_one_pending_per_user"),
        ]
        verbose_name = "注册申请"
        verbose_name_plural = "注册申请"

    def __str__(self) -> str:
        return f"{self.full_name}的注册申请（{self.get_status_display()}）"

    def set_id_number(self, value: str) -> None:
        self.id_number_encrypted, self.id_number_hash, self.id_number_masked = crypto.seal(value, idnumber.mask)


class SignupDecision(AppendOnly):
    """Who decided a sign-up, when, which way, and why (a refusal's reason is shown to the applicant)."""

    append_only_noun = "注册审核记录"

    signup = models.ForeignKey(Signup, on_delete=models.PROTECT, related_name="decisions")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name="审核人")
    decision = models.CharField("结果", max_length=16, choices=SignupStatus.choices)
    reason = models.CharField("理由", max_length=200, blank=True)
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="绑定的户"
    )
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "注册审核记录"
        verbose_name_plural = "注册审核记录"

    def __str__(self) -> str:
        return f"{self.actor}：{self.get_decision_display()}"
