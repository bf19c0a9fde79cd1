import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models


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


# Which kind of scope node each role stands on (PRODUCT.md, "Users and where they stand").
REGION_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR}
)
GRID_ROLES = frozenset({Role.GRID_CHIEF, Role.GRID_WORKER, Role.GRID_GUIDE})
REGION_LEVEL_FOR_ROLE = {
    Role.COUNTY_ADMIN: "county",
    Role.TOWNSHIP_STAFF: "township",
    Role.VILLAGE_CADRE: "village",
    Role.POINTS_RECORDER: "village",
    Role.POINTS_SUPERVISOR: "village",
}


class User(AbstractUser):
    """An account. Its scope is a region (county … village), the grids it is assigned to,
    a department, or one household, by role."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
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

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"

    def __str__(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
