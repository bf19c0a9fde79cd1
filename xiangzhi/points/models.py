"""Household points (户积分制): rulebooks and their rules, village overrides, and the ledger.

The ledger is two append-only tables: ``PointsEntry`` (one row per posting: a record, an award, a
reversal, a redemption…) and ``PointsReview`` (one row per decision on an entry). Neither is ever
updated or deleted: PostgreSQL refuses it with a trigger (migration 0002), and on SQLite the model
layer refuses it. Each village's entries, and its reviews, form a hash chain; ``PointsChainHead``
holds the end of both chains and is the row locked to append to them. ``PointsBalance`` is kept in
the same transaction as every posting and review, and always equals the sum of the ledger.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from xiangzhi.accounts.models import Role
from xiangzhi.core.models import AppendOnly
from xiangzhi.lib.hashchain import GENESIS


class Period(models.TextChoices):
    DAY = "day", "每日"
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


PERIOD_NOUNS = {"day": "当日", "month": "当月", "quarter": "当季", "year": "当年"}


class Direction(models.TextChoices):
    ADD = "add", "加分"
    DEDUCT = "deduct", "减分"


DEFAULT_RECORDER_ROLES = ",".join([Role.POINTS_RECORDER, Role.VILLAGE_CADRE, Role.GRID_CHIEF, Role.GRID_WORKER])


class PointsRulebook(models.Model):
    """积分细则: a township's catalog of what earns or costs points, in force from a date until the
    next one. The rulebook without a region is the default template ``rulebook_install`` copies."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="points_rulebooks", verbose_name="乡镇/街道",
                               help_text="为空表示默认模板")
    name = models.CharField("名称", max_length=100)
    effective_from = models.DateField("施行日期")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_id", "-effective_from"]
        verbose_name = "积分细则"
        verbose_name_plural = "积分细则"
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="points_rulebook_one_per_day"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_template(self) -> bool:
        return self.region_id is None


class PointsCategory(models.Model):
    """A field of the rulebook (文祖's nine: 信访维稳, 移风易俗, 人居环境 …)."""

    rulebook = models.ForeignKey(PointsRulebook, on_delete=models.PROTECT, related_name="categories")
    code = models.CharField("代码", max_length=32)
    name = models.CharField("名称", max_length=30)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["rulebook_id", "sort", "code"]
        verbose_name = "积分类别"
        verbose_name_plural = "积分类别"
        constraints = [models.UniqueConstraint(fields=["rulebook", "code"], name="points_category_code")]

    def __str__(self) -> str:
        return self.name


class PointsRule(models.Model):
    """One item of the rulebook: an addition (positive points) or a deduction (negative), with an
    optional cap per household per period, whether a photo must back it, and who may record it."""

    rulebook = models.ForeignKey(PointsRulebook, on_delete=models.PROTECT, related_name="rules")
    category = models.ForeignKey(PointsCategory, on_delete=models.PROTECT, related_name="rules",
                                 verbose_name="类别")
    code = models.CharField("代码", max_length=40)
    name = models.CharField("名称", max_length=100)
    direction = models.CharField("加减", max_length=8, choices=Direction.choices)
    points = models.IntegerField("每次分值", help_text="加分为正数，减分为负数；记录时可酌情少记，不能多记")
    cap_count = models.PositiveIntegerField("每期最多次数", null=True, blank=True)
    cap_points = models.PositiveIntegerField("每期最多分值", null=True, blank=True, help_text="按绝对值计")
    cap_period = models.CharField("上限周期", max_length=8, choices=Period.choices, blank=True)
    evidence_required = models.BooleanField("须上传照片", default=False)
    recorder_roles = models.CharField("可记录的角色", max_length=200, blank=True, default=DEFAULT_RECORDER_ROLES,
                                      help_text="以逗号分隔的角色代码；为空则只由系统记分（如事件办结奖励）")
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["rulebook_id", "category__sort", "sort", "code"]
        verbose_name = "积分细则条目"
        verbose_name_plural = "积分细则条目"
        constraints = [
            models.UniqueConstraint(fields=["rulebook", "code"], name="points_rule_code"),
            models.CheckConstraint(
                condition=Q(direction=Direction.ADD, points__gt=0) | Q(direction=Direction.DEDUCT, points__lt=0),
                name="points_rule_sign_matches_direction",
            ),
            models.CheckConstraint(
                condition=Q(cap_count__isnull=True, cap_points__isnull=True) | ~Q(cap_period=""),
                name="points_rule_cap_has_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.points:+d}）"

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.recorder_roles.split(",") if r]


class PointsRuleOverride(models.Model):
    """村规民约: a village's own value for a township rule. An empty field keeps the township's."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="points_rule_overrides",
                                verbose_name="村/社区")
    rule = models.ForeignKey(PointsRule, on_delete=models.PROTECT, related_name="overrides", verbose_name="细则条目")
    points = models.IntegerField("每次分值", null=True, blank=True)
    cap_count = models.PositiveIntegerField("每期最多次数", null=True, blank=True)
    cap_points = models.PositiveIntegerField("每期最多分值", null=True, blank=True)
    is_active = models.BooleanField("启用", null=True, blank=True, help_text="为空则与乡镇细则一致")
    note = models.CharField("依据", max_length=200, blank=True, help_text="如：经村民代表会议通过")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "村规民约调整"
        verbose_name_plural = "村规民约调整"
        constraints = [
            models.UniqueConstraint(fields=["village", "rule"], name="points_override_once"),
            models.CheckConstraint(condition=~Q(points=0), name="points_override_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.village} · {self.rule.name}"

    def clean(self):
        if self.points is not None and self.rule_id is not None:
            if self.rule.direction == Direction.ADD and self.points <= 0:
                raise ValidationError({"points": "加分项的分值必须为正数"})
            if self.rule.direction == Direction.DEDUCT and self.points >= 0:
                raise ValidationError({"points": "减分项的分值必须为负数"})


# --- the ledger -------------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    RECORD = "record", "记分"
    AWARD = "award", "奖励"  # posted by another capability: a valid case report, a volunteer activity
    REVERSAL = "reversal", "冲正"
    CORRECTION = "correction", "更正"  # an upheld objection to the quarterly notice
    REDEMPTION = "redemption", "兑换"
    REFUND = "refund", "退还"
    CARRY_OVER = "carry_over", "结转"
    EXPIRY = "expiry", "清零"


# These wait for the monthly review; every other kind is approved as it is posted.
REVIEWED_KINDS = (EntryKind.RECORD, EntryKind.AWARD)
# Points a household earned by its conduct (participation counts these); reversible by a reversal.
EARNING_KINDS = (EntryKind.RECORD, EntryKind.AWARD, EntryKind.CORRECTION)


class EntryStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", "通过"
    REJECTED = "rejected", "驳回"


class PointsEntry(AppendOnly):
    """积分记录: one ledger row. The rule's code, name and category are copied onto the row, and so
    are the points, so changing a rule later never changes what was recorded."""

    append_only_noun = "积分台账"
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    seq = models.PositiveBigIntegerField("序号")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="points_entries",
                                  verbose_name="户")
    kind = models.CharField("类型", max_length=12, choices=EntryKind.choices)
    rule = models.ForeignKey(PointsRule, on_delete=models.PROTECT, null=True, blank=True, related_name="entries",
                             verbose_name="细则条目")
    rule_code = models.CharField(max_length=40, blank=True)
    rule_name = models.CharField("事项", max_length=100, blank=True)
    category_code = models.CharField(max_length=32, blank=True)
    category_name = models.CharField("类别", max_length=30, blank=True)
    quantity = models.PositiveSmallIntegerField("次数", default=1)
    points = models.IntegerField("积分")
    occurred_on = models.DateField("发生日期")
    recorded_at = models.DateTimeField("记录时间")
    recorder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="记录人")
    # 冲正 and 更正 are asked for by one person and approved by another (the recorder, who posts them
    # and whose approval is the entry's review): who asked is part of what was recorded.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="申请人")
    note = models.CharField("说明", max_length=500, blank=True)
    evidence = models.FileField("凭证照片", upload_to="points/%Y/%m/", blank=True)
    evidence_thumbnail = models.FileField(upload_to="points/%Y/%m/thumbs/", blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversal", verbose_name="冲正的记录")
    source = models.CharField("来源", max_length=64, blank=True, help_text="如 case:123（事件办结奖励）")
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        constraints = [
            models.UniqueConstraint(fields=["village", "seq"], name="points_entry_chain_seq"),
            models.UniqueConstraint(fields=["recorder", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="points_entry_idempotency"),
            models.UniqueConstraint(fields=["household", "kind", "source"], condition=~Q(source=""),
                                    name="points_entry_source_once"),
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_nonzero"),
            models.CheckConstraint(
                condition=Q(kind=EntryKind.REVERSAL, reverses__isnull=False)
                | (~Q(kind=EntryKind.REVERSAL) & Q(reverses__isnull=True)),
                name="points_entry_reversal_names_original",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "occurred_on"], name="points_entry_household_day"),
            models.Index(fields=["village", "occurred_on"], name="points_entry_village_day"),
        ]

    def __str__(self) -> str:
        return f"{self.village_id}#{self.seq} {self.rule_name or self.get_kind_display()} {self.points:+d}"

    def copy_rule(self, rule: PointsRule | None, reverses: "PointsEntry | None" = None) -> None:
        """Copy the rule's code, name and category onto the row (a reversal copies its original's)."""
        if rule is not None:
            self.rule = rule
            self.rule_code, self.rule_name = rule.code, rule.name
            self.category_code, self.category_name = rule.category.code, rule.category.name
        elif reverses is not None:
            self.rule_id = reverses.rule_id
            self.rule_code, self.rule_name = reverses.rule_code, reverses.rule_name
            self.category_code, self.category_name = reverses.category_code, reverses.category_name

    @property
    def status(self) -> str:
        try:
            return self.review.decision
        except PointsReview.DoesNotExist:
            return EntryStatus.PENDING

    @property
    def status_name(self) -> str:
        return EntryStatus(self.status).label

    @property
    def is_reversed(self) -> bool:
        try:
            return self.reversal is not None
        except PointsEntry.DoesNotExist:
            return False

    @property
    def is_self_approved(self) -> bool:
        """Asked for and approved by the same person (only where the township's policy allows it)."""
        if self.requested_by_id is None:
            return False
        try:
            return self.review.reviewer_id == self.requested_by_id
        except PointsReview.DoesNotExist:
            return False


class PointsReview(AppendOnly):
    """月审核: the one decision on an entry. Entries of kinds not reviewed get theirs as they post."""

    append_only_noun = "积分台账"
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="review")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField("序号")
    decision = models.CharField("结论", max_length=10, choices=ReviewDecision.choices)
    reason = models.CharField("理由", max_length=500, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="审核人")
    reviewed_at = models.DateTimeField("审核时间")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        verbose_name = "积分审核"
        verbose_name_plural = "积分审核"
        constraints = [models.UniqueConstraint(fields=["village", "seq"], name="points_review_chain_seq")]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.get_decision_display()}"


class PointsChainHead(models.Model):
    """The end of a village's two chains. Appending locks this row (``SELECT … FOR UPDATE``), so
    postings in one village queue one behind the other and the chain never forks."""

    village = models.OneToOneField("regions.Region", on_delete=models.PROTECT, primary_key=True, related_name="+")
    entry_seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS)
    review_seq = models.PositiveBigIntegerField(default=0)
    review_hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = "积分链头"
        verbose_name_plural = "积分链头"

    def __str__(self) -> str:
        return f"{self.village_id}: {self.entry_seq} / {self.review_seq}"


class PointsBalance(models.Model):
    """A household's totals, kept with every posting and review: ``approved_total`` = the sum of its
    approved entries (never below zero), ``pending_total`` = the sum awaiting review,
    ``earned_total`` = approved additions by conduct, less their reversals (participation)."""

    household = models.OneToOneField("people.Household", on_delete=models.PROTECT, primary_key=True,
                                     related_name="points_balance")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    approved_total = models.IntegerField("积分", default=0)
    pending_total = models.IntegerField("待审核", default=0)
    earned_total = models.IntegerField("累计获得", default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "户积分余额"
        verbose_name_plural = "户积分余额"
        constraints = [models.CheckConstraint(condition=Q(approved_total__gte=0), name="points_balance_not_negative")]
        indexes = [
            models.Index(fields=["village", "-approved_total"], name="points_balance_village_rank"),
            models.Index(fields=["township", "-approved_total"], name="points_balance_township_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.approved_total}"


# --- the five-step cycle ------------------------------------------------------------------------


class RedemptionCadence(models.TextChoices):
    QUARTER = "quarter", "每季度一次"
    HALF_YEAR = "half_year", "每半年一次"


class SettlementPolicy(models.TextChoices):
    CARRY_OVER = "carry_over", "全部结转下一年"
    CARRY_OVER_CAPPED = "carry_over_capped", "限额结转，超出部分清零"
    EXPIRE = "expire", "年末清零"


class PointsPolicy(models.Model):
    """How a township runs the cycle: when reviews close, how long a notice takes objections, how
    often the supermarket opens and for how long, and what the yearly settlement does with points
    left over. A township without a row runs on the defaults (文祖街道's: half-yearly redemption)."""

    township = models.OneToOneField("regions.Region", on_delete=models.PROTECT, primary_key=True,
                                    related_name="points_policy", verbose_name="乡镇/街道")
    review_days = models.PositiveSmallIntegerField("月审核期限", default=10,
                                                   help_text="次月几日前审核完上月记录")
    notice_day = models.PositiveSmallIntegerField("季度公示日", default=15, help_text="季度结束后次月几日公示")
    objection_days = models.PositiveSmallIntegerField("异议期天数", default=7)
    redemption_every = models.CharField("兑换周期", max_length=10, choices=RedemptionCadence.choices,
                                        default=RedemptionCadence.HALF_YEAR)
    redemption_days = models.PositiveSmallIntegerField("兑换期天数", default=15,
                                                       help_text="公示异议期结束后的次日起开放")
    settlement_policy = models.CharField("年度结余处理", max_length=20, choices=SettlementPolicy.choices,
                                         default=SettlementPolicy.CARRY_OVER)
    carry_over_cap = models.PositiveIntegerField("结转上限", null=True, blank=True,
                                                 help_text="限额结转时每户最多结转的积分")
    settlement_day = models.PositiveSmallIntegerField("年度核算日", default=15, help_text="次年1月几日核算")
    honour_share = models.PositiveSmallIntegerField("星级户比例（%）", default=10,
                                                    help_text="每村当年获得积分前百分之几的户评为积分之星")
    self_approval = models.BooleanField(
        "允许本人申请、本人批准", default=False,
        help_text="冲正、更正通常由一人申请、另一人批准；勾选后同一人可既申请又批准（记录上注明）")

    class Meta:
        verbose_name = "积分运行规则"
        verbose_name_plural = "积分运行规则"
        constraints = [
            models.CheckConstraint(condition=Q(review_days__gte=1, review_days__lte=28), name="points_policy_review"),
            models.CheckConstraint(condition=Q(notice_day__gte=1, notice_day__lte=28), name="points_policy_notice"),
            models.CheckConstraint(condition=Q(objection_days__gte=1, objection_days__lte=30),
                                   name="points_policy_objection"),
            models.CheckConstraint(condition=Q(redemption_days__gte=1, redemption_days__lte=60),
                                   name="points_policy_redemption"),
            models.CheckConstraint(condition=Q(settlement_day__gte=1, settlement_day__lte=28),
                                   name="points_policy_settlement"),
            models.CheckConstraint(condition=Q(honour_share__lte=100), name="points_policy_honour_share"),
            models.CheckConstraint(
                condition=~Q(settlement_policy=SettlementPolicy.CARRY_OVER_CAPPED) | Q(carry_over_cap__isnull=False),
                name="points_policy_cap_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.township} 积分运行规则"


class CycleKind(models.TextChoices):
    REVIEW = "review", "月审核"
    NOTICE = "notice", "季度公示"
    REDEMPTION = "redemption", "兑换期"
    SETTLEMENT = "settlement", "年度核算"


class CycleState(models.TextChoices):
    SCHEDULED = "scheduled", "未开始"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class PointsCycle(models.Model):
    """One step of the cycle for a township: the review of a month, the notice of a quarter, a
    redemption window, the settlement of a year. ``period_*`` is what it is about, ``opens_on`` and
    ``closes_on`` (inclusive) when it runs. The background worker moves it scheduled → open → closed
    with conditional updates and does the step's work as it moves (publishing notices, settling)."""

    township = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="points_cycles",
                                 verbose_name="乡镇/街道")
    kind = models.CharField("环节", max_length=12, choices=CycleKind.choices)
    period_start = models.DateField("所属期起")
    period_end = models.DateField("所属期止")
    opens_on = models.DateField("开始日期")
    closes_on = models.DateField("结束日期")
    state = models.CharField("状态", max_length=10, choices=CycleState.choices, default=CycleState.SCHEDULED)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["opens_on", "kind"]
        verbose_name = "积分周期"
        verbose_name_plural = "积分周期"
        constraints = [
            models.UniqueConstraint(fields=["township", "kind", "period_start"], name="points_cycle_once"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="points_cycle_period"),
            models.CheckConstraint(condition=Q(opens_on__lte=F("closes_on")), name="points_cycle_window"),
        ]
        indexes = [models.Index(fields=["state", "opens_on"], name="points_cycle_due")]

    def __str__(self) -> str:
        return f"{self.township} {self.get_kind_display()} {self.period_start}–{self.period_end}"


# --- the quarterly notice and its objections ----------------------------------------------------


class NoticeState(models.TextChoices):
    OPEN = "open", "公示中"
    FINAL = "final", "公示结束"


class PointsNotice(models.Model):
    """季度公示: a village's list for a quarter — each household's approved points by category that
    quarter, its points in all and its rank — frozen as published. The list is anchored to the ends
    of the village's two chains at that moment and hashed, so anyone can check later that the list
    is what the ledger said then and that nobody changed it since (``selectors.notice_verify``)."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="points_notices",
                                verbose_name="村/社区")
    cycle = models.ForeignKey(PointsCycle, on_delete=models.PROTECT, null=True, blank=True, related_name="notices")
    period_start = models.DateField("公示期起")
    period_end = models.DateField("公示期止")
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    objection_until = models.DateField("异议截止")
    state = models.CharField("状态", max_length=8, choices=NoticeState.choices, default=NoticeState.OPEN)
    categories = models.JSONField("类别", default=list)
    rows = models.JSONField("名单", default=list)
    entry_seq = models.PositiveBigIntegerField()
    entry_hash = models.CharField(max_length=64)
    review_seq = models.PositiveBigIntegerField()
    review_hash = models.CharField(max_length=64)
    content_hash = models.CharField("内容哈希", max_length=64)

    class Meta:
        ordering = ["-period_start", "village_id"]
        verbose_name = "积分公示"
        verbose_name_plural = "积分公示"
        constraints = [models.UniqueConstraint(fields=["village", "period_start"], name="points_notice_once")]

    def __str__(self) -> str:
        return f"{self.village} {self.period_label}积分公示"

    @property
    def period_label(self) -> str:
        start, end = self.period_start, self.period_end
        if start.month == end.month:
            return f"{start.year}年{start.month}月"
        if (end.month - start.month) == 2 and start.month % 3 == 1:
            return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
        return f"{start:%Y.%m.%d}–{end:%Y.%m.%d}"


class ObjectionState(models.TextChoices):
    OPEN = "open", "待处理"
    UPHELD = "upheld", "已采纳"
    DISMISSED = "dismissed", "未采纳"


class PointsObjection(models.Model):
    """异议: a villager questions a row of a notice during its objection window; a reviewer answers
    with a recorded outcome and, when it is upheld, a correcting entry in the ledger."""

    notice = models.ForeignKey(PointsNotice, on_delete=models.PROTECT, related_name="objections")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name="异议涉及的户")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField("提出时间")
    text = models.CharField("异议内容", max_length=500)
    state = models.CharField("状态", max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN)
    resolution = models.CharField("处理结果", max_length=500, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    correction = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="objection", verbose_name="更正记录")

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"

    def __str__(self) -> str:
        return f"{self.notice} · {self.text[:20]}"


# --- the yearly settlement ----------------------------------------------------------------------


class PointsSettlement(models.Model):
    """年度核算 of a township's year: the totals it found and what the policy did with points left
    over, each household's part written to the ledger as an expiry and, where the policy carries
    points over, a carry-over entry (source ``settlement:<year>``)."""

    township = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="points_settlements",
                                 verbose_name="乡镇/街道")
    year = models.PositiveSmallIntegerField("年度")
    cycle = models.ForeignKey(PointsCycle, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ran_at = models.DateTimeField("核算时间")
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    policy = models.CharField("结余处理", max_length=20, choices=SettlementPolicy.choices)
    carry_over_cap = models.PositiveIntegerField(null=True, blank=True)
    households = models.PositiveIntegerField("参与核算户数", default=0)
    year_points = models.BigIntegerField("当年获得积分", default=0)
    balance_points = models.BigIntegerField("年末结余", default=0)
    carried_points = models.BigIntegerField("结转积分", default=0)
    expired_points = models.BigIntegerField("清零积分", default=0)
    honours = models.PositiveIntegerField("积分之星户数", default=0)

    class Meta:
        ordering = ["-year", "township_id"]
        verbose_name = "年度核算"
        verbose_name_plural = "年度核算"
        constraints = [models.UniqueConstraint(fields=["township", "year"], name="points_settlement_once")]

    def __str__(self) -> str:
        return f"{self.township} {self.year}年度积分核算"


class PointsHonour(models.Model):
    """积分之星: a household at the top of its village for the year's points."""

    settlement = models.ForeignKey(PointsSettlement, on_delete=models.PROTECT, related_name="honour_rows")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="points_honours")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("称号", max_length=30)
    rank = models.PositiveIntegerField("村内名次")
    year_points = models.IntegerField("当年获得积分")

    class Meta:
        ordering = ["village_id", "rank"]
        verbose_name = "积分之星"
        verbose_name_plural = "积分之星"
        constraints = [models.UniqueConstraint(fields=["settlement", "household"], name="points_honour_once")]

    def __str__(self) -> str:
        return f"{self.settlement.year} {self.title} {self.household_id}"


# --- 积分优先: benefits granted by points -----------------------------------------------------------


class BenefitKind(models.TextChoices):
    TRAINING = "training", "技能培训名额"
    JOB = "job", "就业岗位"
    LOAN = "loan", "贷款担保/信用贷款"
    HONOUR = "honour", "评先评优"
    OTHER = "other", "其他"


class BenefitState(models.TextChoices):
    OPEN = "open", "公布中"
    CLOSED = "closed", "已截止"


class PointsBenefit(models.Model):
    """积分优先 (seed 000: 积分 "可优先享受有关激励政策"): a village offers a benefit with a number of
    places to the households whose points earned by conduct in the basis period reach the threshold,
    highest first. Points earned, not the balance: spending points in the supermarket does not cost a
    household its priority. While open the list follows the ledger; at closing it is computed once
    and kept in ``rows`` (``PointsBenefitRow``), so later points never change who got it."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="points_benefits",
                                verbose_name="村/社区")
    kind = models.CharField("类别", max_length=12, choices=BenefitKind.choices)
    title = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    places = models.PositiveIntegerField("名额")
    threshold = models.PositiveIntegerField("积分门槛")
    basis_start = models.DateField("计分期起")
    basis_end = models.DateField("计分期止")
    opens_on = models.DateField("公布日期")
    closes_on = models.DateField("截止日期")
    state = models.CharField("状态", max_length=8, choices=BenefitState.choices, default=BenefitState.OPEN)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="发布人")
    published_at = models.DateTimeField("发布时间")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="截止操作人")
    closed_at = models.DateTimeField("截止时间", null=True, blank=True)
    # SHA-256 of the list fixed at closing with the terms it was ranked by (``benefit_digest``): its
    # first eight digits are the 核验码 posted with the list.
    content_hash = models.CharField("核验哈希", max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = "积分优先事项"
        verbose_name_plural = "积分优先事项"
        constraints = [
            models.CheckConstraint(condition=Q(places__gt=0), name="points_benefit_places_positive"),
            models.CheckConstraint(condition=Q(threshold__gt=0), name="points_benefit_threshold_positive"),
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="points_benefit_dates"),
            models.CheckConstraint(condition=Q(basis_end__gte=F("basis_start")), name="points_benefit_basis"),
            models.CheckConstraint(condition=Q(state=BenefitState.OPEN) | ~Q(content_hash=""),
                                   name="points_benefit_closed_hashed"),
        ]
        indexes = [models.Index(fields=["village", "state"], name="points_benefit_village_state")]

    def __str__(self) -> str:
        return f"{self.village} {self.title}"


class PointsBenefitRow(models.Model):
    """One eligible household of a closed benefit, as ranked at closing (frozen)."""

    benefit = models.ForeignKey(PointsBenefit, on_delete=models.PROTECT, related_name="rows")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="points_benefit_rows")
    number = models.CharField("户编号", max_length=40)
    head_name = models.CharField("户主", max_length=50)
    points = models.IntegerField("计分期积分")
    position = models.PositiveIntegerField("名次")
    priority = models.BooleanField("优先", default=False)

    class Meta:
        ordering = ["benefit_id", "position"]
        verbose_name = "积分优先名单"
        verbose_name_plural = "积分优先名单"
        constraints = [
            models.UniqueConstraint(fields=["benefit", "household"], name="points_benefit_row_once"),
            models.UniqueConstraint(fields=["benefit", "position"], name="points_benefit_row_position"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_id} #{self.position} {self.household_id}"
