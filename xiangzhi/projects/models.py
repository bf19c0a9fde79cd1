"""村级项目: residents' requests (群众需求) gathered into a village's yearly plan ordered by urgency
(轻重缓急), the projects made from them with their funding, milestones, spending and donations.

Money is whole 元. Spending and donations are ledgers: rows are only ever added; a correction is a
new row that supersedes the one it corrects (``corrects``), with its reason, and totals count only
rows no later row supersedes. A project's and a request's state changes each leave a row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from xiangzhi.core.models import AppendOnly, StoredPhoto


class Urgency(models.IntegerChoices):
    """轻重缓急, most pressing first: the first key of a plan's order."""

    URGENT = 1, "紧急"
    IMPORTANT = 2, "重要"
    NORMAL = 3, "一般"
    LATER = 4, "可缓"


class RequestSource(models.TextChoices):
    VILLAGER = "villager", "村民提出"
    MEETING = "meeting", "会议收集"


class RequestState(models.TextChoices):
    COLLECTED = "collected", "收集"
    PLANNED = "planned", "列入计划"
    APPROVED = "approved", "已立项"
    DECLINED = "declined", "不予采纳"


class ProjectPlan(models.Model):
    """A village's plan for one year: the requests put into it, in the stated order."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="project_plans",
                                verbose_name="村/社区")
    year = models.PositiveSmallIntegerField("年度")
    created_at = models.DateTimeField("建立时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-year", "village_id"]
        verbose_name = "村级项目计划"
        verbose_name_plural = "村级项目计划"
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="project_plan_one_per_year")]

    def __str__(self) -> str:
        return f"{self.year}年项目计划"


class ProjectRequest(models.Model):
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="project_requests",
                                verbose_name="村/社区")
    title = models.CharField("需求", max_length=100)
    place = models.CharField("地点", max_length=100, blank=True)
    reason = models.TextField("理由", blank=True)
    urgency = models.PositiveSmallIntegerField("轻重缓急", choices=Urgency.choices, default=Urgency.NORMAL)
    households = models.PositiveIntegerField("提出户数", default=1)
    source = models.CharField("来源", max_length=10, choices=RequestSource.choices)
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="project_requests", verbose_name="提出户")
    submitted_at = models.DateTimeField("提出时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=10, choices=RequestState.choices, default=RequestState.COLLECTED)
    plan = models.ForeignKey(ProjectPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="requests",
                             verbose_name="计划")
    decline_reason = models.CharField("不予采纳原因", max_length=200, blank=True)

    class Meta:
        ordering = ["urgency", "-households", "submitted_at", "id"]
        verbose_name = "群众需求"
        verbose_name_plural = "群众需求"
        constraints = [
            models.CheckConstraint(condition=~Q(state=RequestState.DECLINED) | ~Q(decline_reason=""),
                                   name="project_request_declined_has_reason"),
            models.CheckConstraint(condition=Q(households__gt=0), name="project_request_households_positive"),
        ]
        indexes = [models.Index(fields=["village", "state"], name="project_request_village")]

    def __str__(self) -> str:
        return self.title


class RequestEvent(models.Model):
    """One change of a request's state: who, when, from, to, why."""

    request = models.ForeignKey(ProjectRequest, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=10, choices=RequestState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=RequestState.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class ProjectState(models.TextChoices):
    PLANNING = "planning", "规划中"
    IN_PROGRESS = "in_progress", "实施中"
    COMPLETED = "completed", "已完工"
    ACCEPTED = "accepted", "已验收"


# Each state and the one that may follow it.
NEXT_STATE = {
    ProjectState.PLANNING: ProjectState.IN_PROGRESS,
    ProjectState.IN_PROGRESS: ProjectState.COMPLETED,
    ProjectState.COMPLETED: ProjectState.ACCEPTED,
}
FINISHED_STATES = (ProjectState.COMPLETED, ProjectState.ACCEPTED)


class Project(models.Model):
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="projects",
                                verbose_name="村/社区")
    request = models.OneToOneField(ProjectRequest, on_delete=models.PROTECT, related_name="project",
                                   verbose_name="来自需求")
    title = models.CharField("项目名称", max_length=100)
    description = models.TextField("建设内容", blank=True)
    budget = models.PositiveBigIntegerField("预算（元）")
    # Filled by whoever funds it (the assessment's semi-annual ranking, a department), without this
    # app knowing them: a label and the amount awarded.
    funding_source = models.CharField("奖补来源", max_length=100, blank=True)
    awarded_amount = models.PositiveBigIntegerField("奖补金额（元）", null=True, blank=True)
    state = models.CharField("状态", max_length=12, choices=ProjectState.choices, default=ProjectState.PLANNING)
    started_on = models.DateField("开工日期", null=True, blank=True)
    completed_on = models.DateField("完工日期", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    created_at = models.DateTimeField("立项时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "村级项目"
        verbose_name_plural = "村级项目"
        constraints = [
            models.CheckConstraint(condition=Q(state=ProjectState.PLANNING) | Q(started_on__isnull=False),
                                   name="project_started_has_date"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def next_state(self) -> str | None:
        return NEXT_STATE.get(ProjectState(self.state))

    @property
    def next_state_label(self) -> str:
        nxt = self.next_state
        return ProjectState(nxt).label if nxt else ""

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def milestones_done(self) -> int:
        """Milestones reached (counted from the prefetched milestones)."""
        return sum(1 for m in self.milestones.all() if m.done_on is not None)


class VillageAward(models.Model):
    """Money awarded to a village for its projects by a funder this app does not know (the assessment's
    积分换项目 ranking): its label, the amount, and the project that took it — none while it waits.
    ``key`` is the funder's name for the award, so the same award is never recorded twice."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="project_awards",
                                verbose_name="村/社区")
    source = models.CharField("奖补来源", max_length=100)
    amount = models.PositiveBigIntegerField("金额（元）")
    key = models.CharField("奖补编号", max_length=100, unique=True)
    awarded_at = models.DateTimeField("奖补时间")
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="办理人")
    project = models.OneToOneField("Project", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="village_award", verbose_name="承接项目")
    taken_at = models.DateTimeField("承接时间", null=True, blank=True)

    class Meta:
        ordering = ["awarded_at", "id"]
        verbose_name = "奖补资金"
        verbose_name_plural = "奖补资金"
        constraints = [
            models.CheckConstraint(condition=Q(project__isnull=True, taken_at__isnull=True)
                                   | Q(project__isnull=False, taken_at__isnull=False),
                                   name="project_award_taken_has_time"),
        ]
        indexes = [models.Index(fields=["village", "project"], name="project_award_village")]

    def __str__(self) -> str:
        return f"{self.source} {self.amount} 元"


class ProjectEvent(models.Model):
    """One change of a project's state: who, when, from, to, on which day, why."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=12, choices=ProjectState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=ProjectState.choices)
    on = models.DateField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class FundingKind(models.TextChoices):
    AWARD = "award", "上级奖补"
    COLLECTIVE = "collective", "村集体"
    DONATION = "donation", "捐款"
    OTHER = "other", "其他"


class Funding(models.Model):
    """Where the budget comes from: one row per source (donations are counted from their own ledger)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="fundings")
    kind = models.CharField("来源", max_length=12, choices=FundingKind.choices)
    amount = models.PositiveBigIntegerField("金额（元）")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} 元"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="milestones")
    name = models.CharField("节点", max_length=100)
    planned_on = models.DateField("计划日期")
    done_on = models.DateField("完成日期", null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")

    class Meta:
        ordering = ["planned_on", "id"]

    def __str__(self) -> str:
        return self.name


class Spending(AppendOnly):
    """One payment from the project's money. ``amount`` 0 on a correction withdraws the row it corrects."""

    append_only_noun = "支出记录"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="spendings")
    spent_on = models.DateField("支出日期")
    amount = models.PositiveBigIntegerField("金额（元）")
    purpose = models.CharField("用途", max_length=100)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="corrected_by")
    reason = models.CharField("更正原因", max_length=200, blank=True)

    class Meta:
        ordering = ["spent_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(corrects__isnull=True) | ~Q(reason=""),
                                   name="spending_correction_has_reason"),
        ]


class DonationKind(models.TextChoices):
    MONEY = "money", "捐款"
    LABOUR = "labour", "投工投劳"


class Donation(AppendOnly):
    """A gift of money (元) or labour (人·天). The donor is a resident of the register or anyone
    else (a member living away); ``anonymous``: shown as 匿名 on the public page."""

    append_only_noun = "捐赠记录"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="donations")
    kind = models.CharField("类别", max_length=10, choices=DonationKind.choices)
    donor_name = models.CharField("捐赠人", max_length=50)
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    donor_note = models.CharField("身份说明", max_length=50, blank=True, help_text="如：在外乡贤")
    anonymous = models.BooleanField("匿名", default=False)
    amount = models.PositiveBigIntegerField("金额（元）", default=0)
    labour_days = models.PositiveIntegerField("投工（人·天）", default=0)
    donated_on = models.DateField("日期")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="corrected_by")
    reason = models.CharField("更正原因", max_length=200, blank=True)

    class Meta:
        ordering = ["donated_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(corrects__isnull=True) | ~Q(reason=""),
                                   name="donation_correction_has_reason"),
        ]

    @property
    def public_name(self) -> str:
        return "匿名" if self.anonymous else self.donor_name


class Photo(StoredPhoto):
    """A photo of a request (private: its village's staff), a milestone (public with the project) or a
    spending voucher (private)."""

    image = models.FileField(upload_to="projects/%Y/%m/")
    thumbnail = models.FileField(upload_to="projects/%Y/%m/thumbs/")
    request = models.ForeignKey(ProjectRequest, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="photos")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="photos")
    spending = models.ForeignKey(Spending, on_delete=models.PROTECT, null=True, blank=True, related_name="photos")

    class Meta:
        ordering = ["id"]
