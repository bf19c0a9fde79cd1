from django.conf import settings
from django.db import models

from xiangzhi.core.models import AppendOnly, StoredPhoto


class HandlingLevel(models.TextChoices):
    GRID = "grid", "网格"
    VILLAGE = "village", "村（社区）"
    TOWNSHIP = "township", "乡镇（街道）"
    DEPARTMENT = "department", "职能部门"
    COUNTY = "county", "区县"


class SplitClass(models.TextChoices):
    """三事分流 (seed 003): 大事 to the township, 小事 to the village committee, 私事 to mediation."""

    MAJOR = "major", "大事"
    MINOR = "minor", "小事"
    PRIVATE = "private", "私事"


class CategoryKind(models.TextChoices):
    """GB/T 30428 splits urban-management problems into 部件 (facilities) and 事件 (events)."""

    FACILITY = "facility", "部件"
    EVENT = "event", "事件"


class OverdueAction(models.TextChoices):
    NOTIFY = "notify", "提醒并通报"
    ESCALATE = "escalate", "自动上报上一级"


# The catch-all category: a report whose reporter chose none (随手拍 in three taps) files under it.
OTHER_CATEGORY = "other"


class Category(models.Model):
    """What kind of case; carries routing and deadlines. Data, edited by the county."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=50)
    group = models.CharField("大类", max_length=30)
    kind = models.CharField("部件/事件", max_length=10, choices=CategoryKind.choices, default=CategoryKind.EVENT)
    split_class = models.CharField("三事分流", max_length=10, choices=SplitClass.choices, default=SplitClass.MINOR)
    default_level = models.CharField("默认处置层级", max_length=12, choices=HandlingLevel.choices)
    department_kind = models.CharField("责任部门类别", max_length=16, blank=True,
                                       help_text="派往乡镇的哪类职能部门（为空则由乡镇综治中心处置）")
    accept_hours = models.PositiveIntegerField("受理时限（工作小时）", default=4)
    dispatch_hours = models.PositiveIntegerField("派遣时限（工作小时）", default=4)
    handle_hours = models.PositiveIntegerField("处置时限（工作小时）", default=72)
    verify_hours = models.PositiveIntegerField("核查时限（工作小时）", default=24)
    warn_before_hours = models.PositiveIntegerField("到期前预警（工作小时）", default=8)
    overdue_action = models.CharField("超时处理", max_length=10, choices=OverdueAction.choices,
                                      default=OverdueAction.NOTIFY)
    hint = models.CharField("包括哪些情况", max_length=200, blank=True,
                            help_text="用群众的话写这一类包括的情况（如“偷盗、诈骗、赌博、打架斗殴”）；"
                                      "分类建议据此认出还没有案例的新类别")
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=0, help_text="小的在前；「其他」排在最后")

    class Meta:
        ordering = ["sort", "group", "code"]
        verbose_name = "事件类别"
        verbose_name_plural = "事件类别"

    def __str__(self) -> str:
        return self.name


# A category's terms: what routes it and how long each step may take. An edit of any of them is a new
# version (``CategoryTerms``); the catalog row carries the version in force, for routing and lists.
TERMS_FIELDS = ("default_level", "department_kind", "split_class", "accept_hours", "dispatch_hours",
                "handle_hours", "verify_hours", "warn_before_hours", "overdue_action")


class CategoryTerms(AppendOnly):
    """One version of a category's terms. A case keeps the version in force when it was reported
    (``Case.terms``): its deadlines run on those terms to the end, whatever the county changes later."""

    append_only_noun = "事件类别条款"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="versions", verbose_name="类别")
    version = models.PositiveIntegerField("版本")
    split_class = models.CharField("三事分流", max_length=10, choices=SplitClass.choices)
    default_level = models.CharField("默认处置层级", max_length=12, choices=HandlingLevel.choices)
    department_kind = models.CharField("责任部门类别", max_length=16, blank=True)
    accept_hours = models.PositiveIntegerField("受理时限（工作小时）")
    dispatch_hours = models.PositiveIntegerField("派遣时限（工作小时）")
    handle_hours = models.PositiveIntegerField("处置时限（工作小时）")
    verify_hours = models.PositiveIntegerField("核查时限（工作小时）")
    warn_before_hours = models.PositiveIntegerField("到期前预警（工作小时）")
    overdue_action = models.CharField("超时处理", max_length=10, choices=OverdueAction.choices)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="修改人")
    reason = models.CharField("理由", max_length=200, blank=True)
    created_at = models.DateTimeField("时间")

    class Meta:
        ordering = ["category_id", "-version"]
        verbose_name = "事件类别条款版本"
        verbose_name_plural = "事件类别条款版本"
        constraints = [models.UniqueConstraint(fields=["category", "version"], name="category_terms_version_once")]

    def __str__(self) -> str:
        return f"{self.category_id} 第{self.version}版"


class Channel(models.TextChoices):
    RESIDENT = "resident", "居民随手拍"
    WORKER = "worker", "网格员巡查"
    HOTLINE = "hotline", "12345热线"
    API = "api", "接口"
    DEVICE = "device", "设备告警"
    QR = "qr", "码上办"
    OPEN311 = "open311", "Open311"
    MEETING = "meeting", "民情恳谈"  # a demand raised at a 民情恳谈 / 百姓夜话 evening (xiangzhi/participation)


class Status(models.TextChoices):
    REPORTED = "reported", "待受理"
    ACCEPTED = "accepted", "已受理"
    REJECTED = "rejected", "不予受理"
    DISPATCHED = "dispatched", "已派遣"
    IN_PROGRESS = "in_progress", "处置中"
    HANDLED = "handled", "已处置待核查"
    VERIFIED = "verified", "核查通过"
    CLOSED = "closed", "已结案"
    EVALUATED = "evaluated", "已评价"
    ARCHIVED = "archived", "已归档"
    SUSPENDED = "suspended", "缓办"
    MERGED = "merged", "已合并"


OPEN_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.HANDLED,
                 Status.VERIFIED)
DONE_STATUSES = (Status.CLOSED, Status.EVALUATED, Status.ARCHIVED)


class Evaluation(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class Case(models.Model):
    """事件/工单. ``scope_path`` is the grid's path (or the region's, for a case outside every grid)
    so the same prefix rule as everywhere scopes it."""

    number = models.CharField("编号", max_length=20, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", verbose_name="类别")
    # The category's terms in force when the case was reported: its deadlines keep to them. Empty only
    # for a row written behind the services' back (the category's terms in force then apply).
    terms = models.ForeignKey(CategoryTerms, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name="类别条款")
    channel = models.CharField("来源", max_length=12, choices=Channel.choices)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("描述", blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    # The facility the report is about (「路灯 · 17号杆」); the location is snapped to it. Places are
    # retired, never deleted, so a case keeps its place.
    place = models.ForeignKey("people.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
                              verbose_name="部件与场所")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="cases",
                               verbose_name="属地")
    scope_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.REPORTED)
    handling_level = models.CharField("处置层级", max_length=12, choices=HandlingLevel.choices)
    assignee_department = models.ForeignKey("regions.Department", on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="cases", verbose_name="承办部门")
    assignee_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="assigned_cases", verbose_name="承办人")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="reported_cases", verbose_name="报告人")
    reporter_name = models.CharField("报告人姓名", max_length=50, blank=True)
    reporter_phone_encrypted = models.CharField(max_length=100, blank=True)
    reporter_phone_masked = models.CharField("报告人电话", max_length=20, blank=True)
    is_proactive = models.BooleanField("主动发现", default=False)
    suspended_from = models.CharField(max_length=12, choices=Status.choices, blank=True)
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="duplicates", verbose_name="合并到")
    step_started_at = models.DateTimeField()
    due_at = models.DateTimeField("本环节时限", null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField("超时时间", null=True, blank=True)
    ever_overdue = models.BooleanField("曾超时", default=False)
    rework_count = models.PositiveSmallIntegerField("返工次数", default=0)
    escalation_count = models.PositiveSmallIntegerField("上报次数", default=0)
    supervise_count = models.PositiveSmallIntegerField("督办次数", default=0)
    evaluation = models.CharField("评价", max_length=20, choices=Evaluation.choices, blank=True)
    evaluation_comment = models.CharField("评价意见", max_length=500, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_due_at = models.DateTimeField("办结时限", null=True, blank=True)
    closed_on_time = models.BooleanField(null=True, blank=True)
    closed_level = models.CharField(max_length=12, choices=HandlingLevel.choices, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    # The suggester's first choice for the report's own words, when it was asked (a report without a
    # category, a hotline row): the dispatcher sees it beside the category. Its score is 0–1.
    suggested_category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="+", verbose_name="建议类别")
    suggested_score = models.FloatField("建议把握", null=True, blank=True)
    # When a dispatcher confirmed the category (受理, 派遣) or corrected it (改类别): from then on the case
    # is a labelled example the suggester learns from.
    category_confirmed_at = models.DateTimeField("类别确认时间", null=True, blank=True)
    category_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                              blank=True, related_name="+", verbose_name="类别确认人")
    created_at = models.DateTimeField("上报时间")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "事件"
        verbose_name_plural = "事件"
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["scope_path", "created_at"], name="case_scope_created"),
            models.Index(fields=["assignee_department", "status"], name="case_department_status"),
            models.Index(fields=["category", "created_at"], name="case_category_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES or self.status == Status.SUSPENDED


class Transition(models.Model):
    """One immutable row per action on a case: who, when, from, to, note, attachments."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField("动作", max_length=20)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    from_level = models.CharField(max_length=12, choices=HandlingLevel.choices, blank=True)
    to_level = models.CharField(max_length=12, choices=HandlingLevel.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    department = models.ForeignKey("regions.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    # The version of the duty lists (三张清单) that routed the case: set on the report and on a dispatch
    # whose department the lists chose; empty where the category catalog decided (or nothing was routed).
    list_version = models.ForeignKey("duties.ListVersion", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="派遣依据清单")
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("时间")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "处置记录"
        verbose_name_plural = "处置记录"

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("处置记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("处置记录不可删除")


class Photo(StoredPhoto):
    """A re-encoded photo with its EXIF (and GPS) stripped, and a thumbnail."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="photos")
    image = models.FileField(upload_to="cases/%Y/%m/")
    thumbnail = models.FileField(upload_to="cases/%Y/%m/thumbs/")

    class Meta:
        ordering = ["id"]
        verbose_name = "照片"
        verbose_name_plural = "照片"


class IdempotencyRecord(models.Model):
    """A submission's Idempotency-Key: a retry with the same key and body gets the first answer."""

    key = models.CharField(max_length=100)
    owner = models.CharField(max_length=120, help_text="user:<id>, or the API client / webhook source")
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_once")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class CalendarDay(models.Model):
    """A declared holiday or swapped working day (调休) for deadline arithmetic."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班", default=False)
    name = models.CharField("名称", max_length=30, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '放假'} {self.name}"
