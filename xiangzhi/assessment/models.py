"""The assessment engine: a scheme of weighted items, versioned; periods run over a county's villages
into scores and lost points, each lost point naming what caused it (a case, an inspection finding, a
hand-entered score with its reason)."""

from django.conf import settings
from django.db import models


class SchemeKind(models.TextChoices):
    VILLAGE_SCORECARD = "village_scorecard", "积分换项目（六零）"
    GRID = "grid", "网格考核"


class SourceKind(models.TextChoices):
    CASES = "cases", "事件（按类别计）"
    INSPECTION = "inspection", "每月排查"
    MANUAL = "manual", "人工评分"
    # The grid assessment's sources (a grid is the unit).
    CASE_LATE = "case_late", "事件按时办结"
    CASE_REWORK = "case_rework", "事件返工"
    CASE_UNSATISFIED = "case_unsatisfied", "群众满意度"
    VISIT_LATE = "visit_late", "重点人员按时走访"
    KEY_PERSON_OVERDUE = "key_overdue", "重点人员超期未访"
    PATROL = "patrol", "网格巡查时长与里程"
    POINTS_PARTICIPATION = "participation", "户积分参与率"
    GROUP_ACTIVITIES = "group_activities", "党小组活动"


class AppealState(models.TextChoices):
    PENDING = "pending", "待处理"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "申诉不成立"


class VersionState(models.TextChoices):
    DRAFT = "draft", "草稿"
    IN_USE = "in_use", "使用中"
    RETIRED = "retired", "已停用"


class PeriodState(models.TextChoices):
    OPEN = "open", "进行中"
    PUBLISHED = "published", "已公布"
    CLOSED = "closed", "已关闭"


class Scheme(models.Model):
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="assessment_schemes",
                               verbose_name="县/区")
    kind = models.CharField("类型", max_length=20, choices=SchemeKind.choices)
    name = models.CharField("名称", max_length=100)
    total = models.PositiveSmallIntegerField("满分", default=100)
    # 五星: the lowest total for five, four, three and two stars; below the last, one star.
    star_floors = models.JSONField("星级分数线", default=list, blank=True)
    appeal_days = models.PositiveSmallIntegerField("申诉期限（天）", default=7)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["county", "kind"], name="assessment_scheme_one_per_kind")]

    def __str__(self) -> str:
        return self.name


class SchemeVersion(models.Model):
    """Only a draft is edited; a version in use is never changed under a period: editing it makes a new
    draft copied from it."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions", verbose_name="方案")
    number = models.PositiveSmallIntegerField("版本号")
    state = models.CharField("状态", max_length=10, choices=VersionState.choices, default=VersionState.DRAFT)
    note = models.CharField("修订说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间")
    activated_at = models.DateTimeField("启用时间", null=True, blank=True)

    class Meta:
        verbose_name = "方案版本"
        verbose_name_plural = verbose_name
        ordering = ["scheme", "-number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"], name="assessment_version_number")]

    def __str__(self) -> str:
        return f"{self.scheme.name} 第{self.number}版"


class Item(models.Model):
    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="items", verbose_name="版本")
    group = models.CharField("大项", max_length=30)
    code = models.CharField("代码", max_length=40)
    name = models.CharField("名称", max_length=100)
    weight = models.PositiveSmallIntegerField("分值")
    source = models.CharField("来源", max_length=20, choices=SourceKind.choices)
    # cases: the case categories counted, and the points each case in the period costs.
    category_codes = models.JSONField("事件类别", default=list, blank=True)
    points_per_case = models.PositiveSmallIntegerField("每件扣分", default=0)
    # inspection: the finding item codes of the monthly inspection counted here.
    finding_codes = models.JSONField("排查项目代码", default=list, blank=True)
    # The grid sources' targets (e.g. {"hours": 20, "km": 30} a month of patrol; {"target_pct": 80}).
    params = models.JSONField("参数", default=dict, blank=True)
    # The household points rules (codes) the item's targets cascade to (002: 六零 → household items);
    # shown as a link, the ledgers stay apart.
    household_rule_codes = models.JSONField("关联户积分条目", default=list, blank=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核项目"
        verbose_name_plural = verbose_name
        ordering = ["version", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="assessment_item_code")]

    def __str__(self) -> str:
        return f"{self.group}·{self.name}"


class Period(models.Model):
    version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="periods",
                                verbose_name="方案版本")
    name = models.CharField("名称", max_length=50)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    state = models.CharField("状态", max_length=10, choices=PeriodState.choices, default=PeriodState.OPEN)
    funded_count = models.PositiveSmallIntegerField("奖励名额", default=100)
    warned_count = models.PositiveSmallIntegerField("通报诫勉名额", default=20)
    pool_yuan = models.BigIntegerField("奖励资金池（元）", default=50_000_000)
    current_run = models.ForeignKey("Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name="当前结果")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField("创建时间")
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")

    class Meta:
        verbose_name = "考核期"
        verbose_name_plural = verbose_name
        ordering = ["-start", "-id"]
        constraints = [models.UniqueConstraint(fields=["version", "start"], name="assessment_period_start")]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    """One computation of a period. Its scores become the period's only when the whole run has been
    written (``Period.current_run`` is switched last, in the same transaction)."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="runs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    skipped = models.JSONField("未就绪的来源", default=list, blank=True)

    class Meta:
        verbose_name = "计算批次"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.period} 第{self.pk}次计算"


class Score(models.Model):
    """One unit's figure in a run: a village (the scorecard) or a grid (the grid assessment, ``grid``
    set and ``village`` the grid's village, so scopes apply alike)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="scores")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="网格")
    total = models.IntegerField("得分")
    lost = models.PositiveIntegerField("失分")
    rank = models.PositiveIntegerField("名次")
    town_rank = models.PositiveIntegerField("乡镇内名次", null=True, blank=True)
    stars = models.PositiveSmallIntegerField("星级", default=0)
    funded_yuan = models.BigIntegerField("奖励资金（元）", default=0)
    warned = models.BooleanField("通报诫勉", default=False)
    flagged = models.BooleanField("组织处理", default=False)

    class Meta:
        verbose_name = "得分"
        verbose_name_plural = verbose_name
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "village"], condition=models.Q(grid__isnull=True),
                                    name="assessment_score_village"),
            models.UniqueConstraint(fields=["run", "grid"], condition=models.Q(grid__isnull=False),
                                    name="assessment_score_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.grid or self.village} {self.total}分"


class LostPoint(models.Model):
    """One cause of lost points: the item, how many points, why, and the row behind it."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="lost_points")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField("扣分")
    reason = models.CharField("原因", max_length=200)
    source = models.CharField("来源", max_length=20, choices=SourceKind.choices)
    source_id = models.BigIntegerField("来源编号", null=True, blank=True)
    day = models.DateField("日期", null=True, blank=True)
    hint = models.CharField("怎样不失分", max_length=200, blank=True)

    class Meta:
        verbose_name = "失分点"
        verbose_name_plural = verbose_name
        ordering = ["score", "item__sort", "day", "id"]

    def __str__(self) -> str:
        return f"{self.item} −{self.points}"


class ManualScore(models.Model):
    """Points taken by hand for a ``manual`` item, with the reason and the evidence; counted by every
    later run of the period."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="manual_scores")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="网格")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name="项目")
    points = models.PositiveSmallIntegerField("扣分")
    reason = models.CharField("原因", max_length=200)
    evidence = models.CharField("依据", max_length=200, blank=True)
    day = models.DateField("日期")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = "人工评分"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.village} {self.item} −{self.points}"


class ScoreCorrection(models.Model):
    """A correction to a published figure: a new row beside the original, never an edit of it."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="corrections")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="网格")
    points = models.SmallIntegerField("更正分值")
    reason = models.CharField("更正原因", max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("更正时间")

    class Meta:
        verbose_name = "得分更正"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.village} {self.points:+d}"


class Appeal(models.Model):
    """A unit's appeal against a published figure (申诉): filed within the scheme's appeal days of
    publication, on one lost point or on the whole score, decided once with a recorded outcome; an appeal
    upheld returns points through a ``ScoreCorrection`` beside the original."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="appeals")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="网格")
    lost_point = models.ForeignKey(LostPoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name="失分点")
    lost_reason = models.CharField("申诉的失分点", max_length=200, blank=True)
    lost_points = models.PositiveSmallIntegerField("该失分点扣分", default=0)
    text = models.CharField("申诉理由", max_length=500)
    evidence = models.CharField("证明材料", max_length=200, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="申诉人")
    filed_at = models.DateTimeField("申诉时间")
    state = models.CharField("状态", max_length=10, choices=AppealState.choices, default=AppealState.PENDING)
    outcome = models.CharField("处理意见", max_length=500, blank=True)
    points_returned = models.PositiveSmallIntegerField("退还分值", default=0)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="处理人")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    correction = models.OneToOneField(ScoreCorrection, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="appeal", verbose_name="据此更正")

    class Meta:
        verbose_name = "考核申诉"
        verbose_name_plural = verbose_name
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.grid or self.village} 申诉（{self.get_state_display()}）"
