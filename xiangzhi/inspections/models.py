"""每月排查 → 调度 → 交办 → 督办: an inspector's monthly form per village, its findings, and each
finding's rectification task for the village (an owner, a deadline, done by the village, verified by
the inspector), with every transition kept as a row."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models

from xiangzhi.core.models import AppendOnly, StoredPhoto


@dataclass(frozen=True)
class FindingItem:
    """A 六零 sub-item an inspection can find against: ``zero`` is the 六零 target it belongs to,
    ``points`` what a finding costs the village, ``overdue_points`` what it costs more when its task
    is not done by the deadline, ``deadline_days`` the village's time to put it right."""

    code: str
    zero: str
    name: str
    points: int
    overdue_points: int
    deadline_days: int


# The six zeros (002: 零事故、零非访、零发案、零违建、零污染、零疫情).
ZEROS = {
    "zero_accident": "零事故",
    "zero_petition": "零非访",
    "zero_crime": "零发案",
    "zero_illegal_building": "零违建",
    "zero_pollution": "零污染",
    "zero_epidemic": "零疫情",
}

# The ten sub-items the townships break the six zeros into (002: "各乡镇将县要求量化为十个子项目"). The
# assessment engine matches indicators on ``code``.
FINDING_ITEMS: tuple[FindingItem, ...] = (
    FindingItem("accident_traffic", "zero_accident", "交通安全隐患（骑摩托不戴头盔、农用车载人等）", 2, 2, 15),
    FindingItem("accident_fire", "zero_accident", "消防及用电安全隐患", 2, 2, 15),
    FindingItem("accident_drowning", "zero_accident", "防溺水措施不到位（警示牌、围栏、巡查）", 2, 2, 10),
    FindingItem("petition_dispute", "zero_petition", "矛盾纠纷未及时排查化解", 3, 3, 15),
    FindingItem("crime_security", "zero_crime", "治安隐患（黄赌毒、盗窃苗头等）", 3, 3, 15),
    FindingItem("building_illegal", "zero_illegal_building", "违法建设（未批先建、超面积建房）", 3, 3, 30),
    FindingItem("pollution_burning", "zero_pollution", "露天焚烧秸秆垃圾", 2, 2, 7),
    FindingItem("pollution_environment", "zero_pollution", "人居环境脏乱差、污水乱排", 2, 2, 15),
    FindingItem("epidemic_prevention", "zero_epidemic", "防疫措施不落实", 2, 2, 10),
    FindingItem("epidemic_animal", "zero_epidemic", "动物疫病防控不到位（病死畜禽未无害化处理）", 2, 2, 10),
)
ITEMS_BY_CODE = {item.code: item for item in FINDING_ITEMS}


class Inspection(models.Model):
    """One inspection of one village in one month (``month`` is the month's first day). At most one
    per village and month: starting it again continues the unfinished one; a finished one stands."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                verbose_name="村/社区")
    month = models.DateField("排查月份")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name="督查员")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # The phone's GPS fix, taken inside the village (checked against the grid map).
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    fixed_at = models.DateTimeField("定位时间", null=True, blank=True)
    note = models.TextField("排查情况", max_length=2000, blank=True)

    class Meta:
        ordering = ["-month", "village__code"]
        verbose_name = "每月排查"
        verbose_name_plural = "每月排查"
        constraints = [models.UniqueConstraint(fields=["village", "month"], name="inspection_one_per_village_month")]
        indexes = [models.Index(fields=["month", "village"], name="inspection_month_village")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}排查"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class TaskState(models.TextChoices):
    DRAFT = "draft", "待交办"  # the inspection is still open
    OPEN = "open", "整改中"
    DONE = "done", "待核验"
    CLOSED = "closed", "已销号"


class Finding(models.Model):
    """A problem found on an inspection, against a 六零 sub-item. When the inspection is finished it
    becomes the village's task (交办): an owner, a deadline; the village reports it done, the inspector
    verifies it (销号) or sends it back. ``ever_overdue`` stays set once the deadline passed undone."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                verbose_name="村/社区")
    item_code = models.CharField("排查项目", max_length=32,
                                 choices=[(item.code, item.name) for item in FINDING_ITEMS])
    text = models.CharField("发现问题", max_length=500)
    points = models.PositiveSmallIntegerField("扣分")
    overdue_points = models.PositiveSmallIntegerField("逾期加扣")
    found_on = models.DateField("发现日期")
    state = models.CharField("状态", max_length=8, choices=TaskState.choices, default=TaskState.DRAFT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="责任人")
    due_on = models.DateField("整改期限", null=True, blank=True)
    overdue_at = models.DateTimeField("逾期时间", null=True, blank=True)
    ever_overdue = models.BooleanField("曾逾期", default=False)
    done_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "排查问题"
        verbose_name_plural = "排查问题"
        indexes = [
            models.Index(fields=["village", "found_on"], name="finding_village_found"),
            models.Index(fields=["state", "due_on"], name="finding_state_due"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def item(self) -> FindingItem:
        return ITEMS_BY_CODE[self.item_code]


class TaskEventAction(models.TextChoices):
    ASSIGN = "assign", "交办"
    COMPLETE = "complete", "报告整改完成"
    VERIFY = "verify", "核验销号"
    REOPEN = "reopen", "退回重改"
    OVERDUE = "overdue", "逾期"


class TaskEvent(AppendOnly):
    """Who moved a finding's task, when, from which state to which, and why."""

    append_only_noun = "整改记录"

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=16, choices=TaskEventAction.choices)
    from_state = models.CharField(max_length=8, choices=TaskState.choices)
    to_state = models.CharField(max_length=8, choices=TaskState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    note = models.CharField("说明", max_length=500, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "整改记录"
        verbose_name_plural = "整改记录"

    def __str__(self) -> str:
        return self.get_action_display()


class FindingPhoto(StoredPhoto):
    """A photo of the problem found, or of it put right (``stage``)."""

    class Stage(models.TextChoices):
        FOUND = "found", "发现"
        FIXED = "fixed", "整改后"

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="photos")
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.FOUND)
    image = models.FileField(upload_to="inspections/%Y/%m/")
    thumbnail = models.FileField(upload_to="inspections/%Y/%m/thumbs/")

    class Meta:
        ordering = ["id"]
        verbose_name = "排查照片"
        verbose_name_plural = "排查照片"
