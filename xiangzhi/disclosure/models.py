"""村务公开 (三务三资, seed 003): a county's template of due items, each village's disclosure of every item
for every period (month, quarter or year) with its figures and attachments, the screening every
publication passes, and the other public modules of 一村一码 — 上级政策 and 民生事项 posts, and the
village's cadres (干部作风).

Money is stored as whole fen (分, an integer): ``figures`` hold ``[label, fen]`` pairs, shown in 元 with
two places. A disclosure's working copy (``content``, ``figures``, attachments ``in_draft``) is edited
while it is a draft; every publication is a ``DisclosureVersion`` (append-only) holding what the public
saw, so a withdrawn or corrected disclosure keeps every version it ever published. Each step leaves an
``Event`` and each screening decision a ``Screening`` row (both append-only).
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from xiangzhi.core.models import AppendOnly


class AffairGroup(models.TextChoices):
    """三务三资: the six groups of due items, in the order they are shown."""

    PARTY = "party", "党务"
    VILLAGE = "village", "村务"
    FINANCE = "finance", "财务"
    FUNDS = "funds", "资金"
    ASSETS = "assets", "资产"
    RESOURCES = "resources", "资源"


GROUP_ORDER = {value: i for i, value in enumerate(AffairGroup.values)}


class Cadence(models.TextChoices):
    """How often an item is due; the values are ``lib.periods`` period names."""

    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class State(models.TextChoices):
    """A disclosure's or a post's working state. Only ``published`` is seen by the public; a
    disclosure withdrawn and being corrected keeps its old versions, shown as withdrawn."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "退回修改"
    PASSED = "passed", "审核通过待公开"
    PUBLISHED = "published", "已公开"
    WITHDRAWN = "withdrawn", "已撤回"


# States in which the working copy may be edited (a submitted one waits for its screening; a
# published one is withdrawn first, with a reason).
EDITABLE = (State.DRAFT, State.RETURNED, State.PASSED, State.WITHDRAWN)


class DueItem(models.Model):
    """县定公开事项: one line of a county's template — what every village discloses, how often, by
    which day after the period ends, with which money figures and whether an attachment is required."""

    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="disclosure_items",
                               verbose_name="区/县")
    code = models.CharField("编码", max_length=40)
    group = models.CharField("类别", max_length=12, choices=AffairGroup.choices)
    title = models.CharField("公开事项", max_length=100)
    guidance = models.CharField("填写说明", max_length=300, blank=True)
    cadence = models.CharField("公开周期", max_length=8, choices=Cadence.choices, default=Cadence.QUARTER)
    attachment_required = models.BooleanField("须附附件", default=False)
    # The money lines asked for (「本季收入」, 「本季支出」…), each filled in 元 and kept in fen.
    figure_labels = models.JSONField("金额栏目", default=list, blank=True)
    due_days = models.PositiveSmallIntegerField("期满后几日内公开", default=10)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    # Periods starting before this day are not due (the template was not in force yet).
    active_from = models.DateField("起始日期")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["county_id", "sort", "id"]
        verbose_name = "公开事项"
        verbose_name_plural = "公开事项"
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="disclosure_item_code_per_county")]

    def __str__(self) -> str:
        return self.title


class Disclosure(models.Model):
    """One village's disclosure of one due item for one period."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="disclosures",
                                verbose_name="村/社区")
    item = models.ForeignKey(DueItem, on_delete=models.PROTECT, related_name="disclosures", verbose_name="公开事项")
    period_start = models.DateField("期间起")
    period_end = models.DateField("期间止")
    due_on = models.DateField("应公开日期")
    content = models.TextField("公开内容", blank=True)
    figures = models.JSONField("金额", default=list, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    first_published_at = models.DateTimeField("首次公开时间", null=True, blank=True)
    withdrawn_reason = models.CharField("撤回原因", max_length=200, blank=True)
    created_at = models.DateTimeField("建立时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        ordering = ["village_id", "period_start", "item__sort", "id"]
        verbose_name = "村务公开"
        verbose_name_plural = "村务公开"
        constraints = [
            models.UniqueConstraint(fields=["village", "item", "period_start"], name="disclosure_one_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="disclosure_period_ordered"),
        ]
        indexes = [
            models.Index(fields=["village", "period_end"], name="disclosure_village_period"),
            models.Index(fields=["state"], name="disclosure_state"),
        ]

    def __str__(self) -> str:
        return f"{self.item.title}（{self.period_label}）"

    @property
    def period_label(self) -> str:
        return period_label(self.item.cadence, self.period_start)

    @property
    def is_late(self) -> bool:
        """First published after its due day (in the county's time)."""
        return self.first_published_at is not None and timezone.localdate(self.first_published_at) > self.due_on


def period_label(cadence: str, start: dt.date) -> str:
    """「2026年第3季度」, 「2026年8月」, 「2026年度」."""
    if cadence == Cadence.MONTH:
        return f"{start.year}年{start.month}月"
    if cadence == Cadence.YEAR:
        return f"{start.year}年度"
    return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"


def yuan(fen: int | None) -> Decimal | None:
    """Fen as a Decimal of 元 (two places), for the ``|decimal:2`` filter."""
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


class Attachment(models.Model):
    """A PDF or an image attached to a disclosure or a post. Images are re-encoded without EXIF or GPS;
    a PDF is kept as sent, checked to be one. ``in_draft``: part of the working copy (a later version may
    drop it; the versions that published it keep it)."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF 文件"
        IMAGE = "image", "图片"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="attachments")
    post = models.ForeignKey("Post", on_delete=models.PROTECT, null=True, blank=True, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField("文件名", max_length=100)
    file = models.FileField(upload_to="disclosure/%Y/%m/")
    thumbnail = models.FileField(upload_to="disclosure/%Y/%m/thumbs/", blank=True)
    size_bytes = models.PositiveIntegerField()
    in_draft = models.BooleanField(default=True)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(disclosure__isnull=True) ^ Q(post__isnull=True),
                                   name="disclosure_attachment_one_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class DisclosureVersion(AppendOnly):
    """What one publication of a disclosure showed: kept for ever, so corrections can be checked."""

    append_only_noun = "公开版本"

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField("版本")
    title = models.CharField(max_length=100)
    content = models.TextField()
    figures = models.JSONField(default=list)
    attachments = models.ManyToManyField(Attachment, blank=True, related_name="versions")
    reason = models.CharField("更正原因", max_length=200, blank=True)
    screening = models.ForeignKey("Screening", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField("公开时间")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["disclosure_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "number"], name="disclosure_version_number"),
            models.CheckConstraint(condition=Q(number=1) | ~Q(reason=""), name="disclosure_version_reason"),
        ]

    def __str__(self) -> str:
        return f"第{self.number}版"

    def figure_rows(self) -> list[tuple[str, Decimal | None]]:
        return [(label, yuan(fen)) for label, fen in self.figures]


class PostKind(models.TextChoices):
    POLICY = "policy", "上级政策"
    LIVELIHOOD = "livelihood", "民生事项"


class Post(models.Model):
    """上级政策 or 民生事项: a notice by county, township or village staff, shown on the public page of
    every village under its region once screened and published. Its text is not edited after
    publication: a withdrawn post stays as it was, a correction is a new post."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="disclosure_posts",
                               verbose_name="发布范围")
    kind = models.CharField("栏目", max_length=12, choices=PostKind.choices)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文")
    dated = models.DateField("日期")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    withdrawn_reason = models.CharField("撤回原因", max_length=200, blank=True)
    created_at = models.DateTimeField("建立时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        ordering = ["-dated", "-id"]
        verbose_name = "政策和民生事项"
        verbose_name_plural = "政策和民生事项"
        indexes = [models.Index(fields=["region", "state"], name="disclosure_post_region")]

    def __str__(self) -> str:
        return self.title


class CadreState(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "退回修改"
    PASSED = "passed", "已公开"
    ENDED = "ended", "已离任"


class Cadre(models.Model):
    """干部作风: one of the village's cadres as the public page shows them — name, post, duties and the
    office's phone (never a personal phone). The name comes from the village's account or the register
    where one is linked. Each change is screened like a publication; the public sees the ``public_*``
    copy the last passing screening made."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="disclosure_cadres",
                                verbose_name="村/社区")
    name = models.CharField("姓名", max_length=50)
    post = models.CharField("职务", max_length=50)
    duties = models.CharField("分工职责", max_length=300, blank=True)
    office_phone = models.CharField("办公电话", max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name="对应账号")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="对应居民")
    sort = models.PositiveSmallIntegerField("排序", default=0)
    state = models.CharField("状态", max_length=10, choices=CadreState.choices, default=CadreState.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    public_name = models.CharField(max_length=50, blank=True)
    public_post = models.CharField(max_length=50, blank=True)
    public_duties = models.CharField(max_length=300, blank=True)
    public_phone = models.CharField(max_length=20, blank=True)
    ended_on = models.DateField("离任日期", null=True, blank=True)
    created_at = models.DateTimeField("建立时间")
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        ordering = ["village_id", "sort", "id"]
        verbose_name = "村干部"
        verbose_name_plural = "村干部"

    def __str__(self) -> str:
        return f"{self.post} {self.name}"

    @property
    def is_public(self) -> bool:
        return self.state != CadreState.ENDED and bool(self.public_name)


class Decision(models.TextChoices):
    PASS = "pass", "审核通过"
    RETURN = "return", "退回修改"


class Screening(AppendOnly):
    """审核: the township's (or county's) decision on one submission of a disclosure, a post or a
    cadre's entry. ``fingerprint`` is the SHA-256 of what was screened: a pass covers exactly that."""

    append_only_noun = "审核记录"

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="screenings")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True, related_name="screenings")
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, null=True, blank=True, related_name="screenings")
    decision = models.CharField("审核结果", max_length=8, choices=Decision.choices)
    reason = models.CharField("审核意见", max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审核时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="审核人")

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        constraints = [
            models.CheckConstraint(
                condition=(Q(disclosure__isnull=False, post__isnull=True, cadre__isnull=True)
                           | Q(disclosure__isnull=True, post__isnull=False, cadre__isnull=True)
                           | Q(disclosure__isnull=True, post__isnull=True, cadre__isnull=False)),
                name="disclosure_screening_one_target"),
            models.CheckConstraint(condition=Q(decision=Decision.PASS) | ~Q(reason=""),
                                   name="disclosure_screening_return_reason"),
        ]

    def __str__(self) -> str:
        return self.get_decision_display()


class Action(models.TextChoices):
    OPEN = "open", "开始填写"
    SAVE = "save", "保存"
    SUBMIT = "submit", "提交审核"
    PASS = "pass", "审核通过"
    RETURN = "return", "退回修改"
    PUBLISH = "publish", "公开"
    REPUBLISH = "republish", "更正后重新公开"
    WITHDRAW = "withdraw", "撤回"
    END = "end", "离任"


class Event(AppendOnly):
    """One step of a disclosure, a post or a cadre's entry: who, when, from, to, why."""

    append_only_noun = "公开记录"

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(disclosure__isnull=False, post__isnull=True, cadre__isnull=True)
                           | Q(disclosure__isnull=True, post__isnull=False, cadre__isnull=True)
                           | Q(disclosure__isnull=True, post__isnull=True, cadre__isnull=False)),
                name="disclosure_event_one_target"),
        ]

    def __str__(self) -> str:
        return self.get_action_display()
