"""三张清单 (seed 003): the village small-power list (小微权力清单), the duty list (职责任务清单) and the
territorial duty list (属地责任清单) of a county, each in numbered versions. A version is a draft while it
is edited; activating it retires the one active before; an active or retired version is never changed.
The duty lists say who handles which case categories: case routing reads the active versions."""

from django.conf import settings
from django.db import models


class ListKind(models.TextChoices):
    POWER = "power_list", "小微权力清单"
    DUTY = "duty_list", "职责任务清单"
    TERRITORIAL = "territorial_duty_list", "属地责任清单"


# The lists that route cases, in the order routing asks them.
ROUTING_KINDS = (ListKind.DUTY, ListKind.TERRITORIAL)


class VersionState(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "现行"
    RETIRED = "retired", "已停用"


class Level(models.TextChoices):
    """处置层级, the same values as the cases' ``HandlingLevel``: routing hands them on as they are."""

    GRID = "grid", "网格"
    VILLAGE = "village", "村（社区）"
    TOWNSHIP = "township", "乡镇（街道）"
    DEPARTMENT = "department", "职能部门"
    COUNTY = "county", "区县"


class PowerSide(models.TextChoices):
    ALLOWED = "allowed", "正面清单"
    FORBIDDEN = "forbidden", "负面清单"


class TownshipRole(models.TextChoices):
    """What the township answers for in a territorial item: it leads (主体责任) or cooperates (配合责任)."""

    LEAD = "lead", "牵头"
    COOPERATE = "cooperate", "配合"


class ListVersion(models.Model):
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="duty_list_versions",
                               verbose_name="县/区")
    kind = models.CharField("清单", max_length=24, choices=ListKind.choices)
    number = models.PositiveSmallIntegerField("版本号")
    state = models.CharField("状态", max_length=10, choices=VersionState.choices, default=VersionState.DRAFT)
    # The list's fields (领域) in their order; an item's field is one of them.
    fields = models.JSONField("领域", default=list)
    note = models.CharField("修订说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间")
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="启用人")
    activated_at = models.DateTimeField("启用时间", null=True, blank=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "清单版本"
        verbose_name_plural = verbose_name
        ordering = ["county_id", "kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["county", "kind", "number"], name="duties_version_number"),
            models.UniqueConstraint(fields=["county", "kind"], condition=models.Q(state="active"),
                                    name="duties_one_active"),
            models.UniqueConstraint(fields=["county", "kind"], condition=models.Q(state="draft"),
                                    name="duties_one_draft"),
        ]

    def __str__(self) -> str:
        return f"《{self.get_kind_display()}》第{self.number}版"


class ListItem(models.Model):
    """One item of a list. Which columns hold something depends on the list: a small power has its side
    (正面/负面), who exercises it, its basis and its process steps; a duty its organisation (a department
    kind or a level), post and handling level; a territorial item the township's role and the department
    in charge. Duties and territorial items name the case categories they govern."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="items", verbose_name="版本")
    code = models.CharField("编号", max_length=20)
    field = models.CharField("领域", max_length=30)
    title = models.CharField("事项", max_length=200)
    sort = models.PositiveIntegerField("排序", default=0)
    # 小微权力清单
    side = models.CharField("正面/负面", max_length=10, choices=PowerSide.choices, blank=True)
    subject = models.CharField("责任主体", max_length=100, blank=True)
    basis = models.CharField("依据", max_length=300, blank=True)
    steps = models.JSONField("办理流程", default=list, blank=True)
    # 职责任务清单: organisation is a department kind (regions.Department.Kind) or a level.
    organisation = models.CharField("承担机构", max_length=16, blank=True)
    post = models.CharField("责任岗位", max_length=100, blank=True)
    handling_level = models.CharField("处置层级", max_length=12, choices=Level.choices, blank=True)
    # 属地责任清单
    township_role = models.CharField("乡镇责任", max_length=10, choices=TownshipRole.choices, blank=True)
    department_kind = models.CharField("主管部门", max_length=16, blank=True)
    unit = models.CharField("主管单位", max_length=100, blank=True)
    # Both duty lists: the case category codes the item governs.
    category_codes = models.JSONField("事件类别", default=list, blank=True)

    class Meta:
        verbose_name = "清单事项"
        verbose_name_plural = verbose_name
        ordering = ["version_id", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="duties_item_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
