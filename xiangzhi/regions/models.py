from django.conf import settings
from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "区/县"
    TOWNSHIP = "township", "乡镇/街道"
    AREA = "area", "管区"
    VILLAGE = "village", "村/社区"


class Region(models.Model):
    """A node of the administrative tree. ``path`` holds the codes from the root, ``/``-separated,
    so a scope is a path prefix and a subtree is one indexed ``LIKE 'prefix%'``."""

    code = models.CharField("区划代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=255, unique=True)
    boundary = models.JSONField("边界", null=True, blank=True)
    center_lon = models.FloatField(null=True, blank=True)
    center_lat = models.FloatField(null=True, blank=True)

    # Not a column: counted onto the rows ``regions.selectors.child_region_summaries`` returns.
    grid_count: int

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区域"
        verbose_name_plural = "行政区域"

    def __str__(self) -> str:
        return self.name

    @property
    def is_official_division(self) -> bool:
        return self.code.isdigit() and len(self.code) in {2, 4, 6, 9, 12}


GRID_LEVEL_NAMES = {1: "一级网格", 2: "二级网格", 3: "三级网格", 4: "微网格"}


class Grid(models.Model):
    """A unit of staffing and routing below a region. Grids may nest (micro-grids)."""

    code = models.CharField("网格编码", max_length=24, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("网格级别", default=3)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="grids", verbose_name="所属区域")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=255, unique=True)
    boundary = models.JSONField("边界", null=True, blank=True)
    center_lon = models.FloatField(null=True, blank=True)
    center_lat = models.FloatField(null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "网格"
        verbose_name_plural = "网格"

    def __str__(self) -> str:
        return self.name

    @property
    def level_name(self) -> str:
        return GRID_LEVEL_NAMES.get(self.level, f"{self.level}级网格")


class GridBoundaryRevision(models.Model):
    """One saved change of a grid's boundary: what it was, what it became, who, when and why."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="boundary_revisions", verbose_name="网格")
    before = models.JSONField("修改前边界", null=True, blank=True)
    after = models.JSONField("修改后边界")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="修改人",
    )
    at = models.DateTimeField("修改时间")
    reason = models.CharField("修改原因", max_length=200)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "网格边界修改记录"
        verbose_name_plural = "网格边界修改记录"
        indexes = [models.Index(fields=["grid", "-at"], name="regions_boundary_rev_grid")]

    def __str__(self) -> str:
        return f"{self.grid} 边界修改"


class GridDuty(models.TextChoices):
    CHIEF = "chief", "网格长"
    FULL_TIME = "full_time", "专职网格员"
    PART_TIME = "part_time", "兼职网格员"
    GUIDE = "guide", "网格指导员"


class GridAssignment(models.Model):
    """Who works a grid, in which duty, from when to when. An ended assignment keeps its row."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="assignments", verbose_name="网格")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grid_assignments", verbose_name="人员"
    )
    duty = models.CharField("职责", max_length=16, choices=GridDuty.choices)
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True, default="")
    # Who put the person on the grid and who ended it (empty for rows from before, the demo, imports).
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="安排人")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="结束人")

    class Meta:
        verbose_name = "网格配备"
        verbose_name_plural = "网格配备"
        indexes = [models.Index(fields=["user", "ended_on"]), models.Index(fields=["grid", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.grid} {self.get_duty_display()} {self.user}"


class Department(models.Model):
    """A functional department (职能部门) of a township or the county; a dispatch target."""

    class Kind(models.TextChoices):
        ENFORCEMENT = "enforcement", "综合执法"
        MARKET = "market", "市场监管"
        POLICE = "police", "派出所"
        POWER = "power", "供电所"
        WATER = "water", "水务"
        ENVIRONMENT = "environment", "生态环境"
        CIVIL = "civil", "民政"
        PETITION = "petition", "信访"
        OTHER = "other", "其他"

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name="所属区域")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "职能部门"
        verbose_name_plural = "职能部门"

    def __str__(self) -> str:
        return self.name


class Liaison(models.Model):
    """四级包保: a cadre answerable for a region (county leader → township, township cadre →
    village, village cadre → a group of his village). One in post per region, tier and group; an
    ended one keeps its row, like a grid assignment."""

    class Tier(models.TextChoices):
        COUNTY_LEADER = "county_leader", "县级领导包乡镇"
        TOWNSHIP_CADRE = "township_cadre", "乡镇干部包村"
        VILLAGE_CADRE = "village_cadre", "村干部包组"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="liaisons", verbose_name="包联干部"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="liaisons", verbose_name="包联区域")
    tier = models.CharField("层级", max_length=16, choices=Tier.choices)
    group_name = models.CharField("村民小组", max_length=50, blank=True)
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True, default="")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="安排人")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="结束人")

    class Meta:
        verbose_name = "包联关系"
        verbose_name_plural = "包联关系"
        indexes = [models.Index(fields=["region", "ended_on"], name="liaison_region_ended"),
                   models.Index(fields=["user", "ended_on"], name="liaison_user_ended")]
        constraints = [
            models.UniqueConstraint(fields=["region", "tier", "group_name"], condition=models.Q(ended_on__isnull=True),
                                    name="liaison_one_in_post_per_place"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.region}"
