"""阳光报告会 (述询定评, seed 003) and 四议两公开 (seeds 000, 003).

A sunshine meeting is one village's quarterly meeting: the secretary's report (述), the villagers'
questions (询), each demand made a commitment with an owner, a deadline and a measure (定) and followed
to done, and the evaluation vote (评). It is public only after the township's screening passed it.

A deliberation is one village matter decided by 四议两公开: the proposal, then six steps in their order,
each with its date, attendance, votes and minutes. A vote that fails stops the matter.

Free text that may reach the public page is stored with ID, phone and card numbers already masked
(``lib.redact``). Every change leaves a row: meeting events, commitment events, screenings, the steps
themselves and the donation ledger are only ever added to.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from xiangzhi.core.models import AppendOnly, StoredPhoto
from xiangzhi.lib.periods import period_bounds


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the quarter."""
    return period_bounds("quarter", dt.date(year, 3 * quarter - 2, 1))


# --- 阳光报告会 ---------------------------------------------------------------------------------------


class MeetingState(models.TextChoices):
    DRAFT = "draft", "记录中"
    SUBMITTED = "submitted", "待审核"
    PUBLISHED = "published", "已公开"


class SunshineMeeting(models.Model):
    """One village's sunshine meeting for one quarter: held on a day (in the quarter or within a month
    after it), its attendance, how many village affairs items the report went through, the report and
    the vote's three counts (empty until the vote is recorded)."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                verbose_name="村/社区")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    held_on = models.DateField("召开日期")
    place = models.CharField("地点", max_length=100)
    attendance = models.PositiveIntegerField("参会人数")
    items_reported = models.PositiveIntegerField("通报村务事项数", default=0)
    report = models.TextField("述职内容", blank=True)
    report_hidden = models.CharField("已隐去", max_length=50, blank=True)
    satisfied = models.PositiveIntegerField("满意", null=True, blank=True)
    basically_satisfied = models.PositiveIntegerField("基本满意", null=True, blank=True)
    dissatisfied = models.PositiveIntegerField("不满意", null=True, blank=True)
    voted_at = models.DateTimeField("评议时间", null=True, blank=True)
    state = models.CharField("状态", max_length=10, choices=MeetingState.choices, default=MeetingState.DRAFT)
    submitted_at = models.DateTimeField("提交审核时间", null=True, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="登记人")

    class Meta:
        ordering = ["-year", "-quarter", "village__code"]
        verbose_name = "阳光报告会"
        verbose_name_plural = "阳光报告会"
        constraints = [
            models.UniqueConstraint(fields=["village", "year", "quarter"], name="meeting_one_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="meeting_quarter_1_to_4"),
            models.CheckConstraint(condition=Q(state=MeetingState.DRAFT) | Q(voted_at__isnull=False),
                                   name="meeting_submitted_has_vote"),
            models.CheckConstraint(condition=~Q(state=MeetingState.PUBLISHED) | Q(published_at__isnull=False),
                                   name="meeting_published_has_time"),
        ]
        indexes = [models.Index(fields=["year", "quarter", "village"], name="meeting_quarter_village")]

    def __str__(self) -> str:
        return f"{self.year}年第{self.quarter}季度阳光报告会"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def votes(self) -> int:
        return (self.satisfied or 0) + (self.basically_satisfied or 0) + (self.dissatisfied or 0)

    @property
    def satisfaction(self) -> float | None:
        """(满意 + 基本满意) ÷ votes cast, or None before the vote."""
        if self.voted_at is None or not self.votes:
            return None
        return ((self.satisfied or 0) + (self.basically_satisfied or 0)) / self.votes

    @property
    def is_published(self) -> bool:
        return self.state == MeetingState.PUBLISHED


class MeetingAction(models.TextChoices):
    RECORD = "record", "登记会议"
    REPORT = "report", "述：书记述职"
    QUESTION = "question", "询：群众质询"
    COMMITMENT = "commitment", "定：定责定时定措施"
    VOTE = "vote", "评：阳光评议"
    SUBMIT = "submit", "提交审核"
    PASS = "pass", "审核通过并公开"
    RETURN = "return", "审核退回"


class MeetingEvent(AppendOnly):
    """One step of a meeting's record: who, when, what, with a note."""

    append_only_noun = "阳光报告会记录"

    meeting = models.ForeignKey(SunshineMeeting, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("环节", max_length=12, choices=MeetingAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间")
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "阳光报告会记录"
        verbose_name_plural = "阳光报告会记录"

    def __str__(self) -> str:
        return self.get_action_display()


class QuestionSource(models.TextChoices):
    ONSITE = "onsite", "现场"
    QR = "qr", "码上问"


class MeetingQuestion(models.Model):
    """A villager's question at the meeting (询), or one asked by QR (码上问) brought to it. The asker is
    not kept: the public reads 「村民」. ``source_question_id`` names the 码上问 question it came from."""

    meeting = models.ForeignKey(SunshineMeeting, on_delete=models.PROTECT, related_name="questions")
    text = models.CharField("问题", max_length=500)
    hidden = models.CharField("已隐去", max_length=50, blank=True)
    source = models.CharField("来源", max_length=8, choices=QuestionSource.choices, default=QuestionSource.ONSITE)
    source_question_id = models.PositiveBigIntegerField("码上问编号", null=True, blank=True)
    reply = models.CharField("现场答复", max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = "群众质询"
        verbose_name_plural = "群众质询"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "source_question_id"], name="meeting_question_once",
                                    condition=Q(source_question_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.text


class CommitmentState(models.TextChoices):
    OPEN = "open", "办理中"
    DONE = "done", "已办结"


class Commitment(models.Model):
    """A villager's demand turned into a commitment (定责、定时、定措施): its owner (someone of the
    village), deadline and measure; followed to done with evidence. Overdue = still open after the
    deadline (computed; the sweep also marks it once, ``overdue_at``)."""

    meeting = models.ForeignKey(SunshineMeeting, on_delete=models.PROTECT, related_name="commitments")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                verbose_name="村/社区")
    question = models.ForeignKey(MeetingQuestion, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="commitments", verbose_name="来自质询")
    demand = models.CharField("群众诉求", max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="责任人")
    deadline = models.DateField("完成时限")
    measure = models.CharField("措施", max_length=500)
    state = models.CharField("状态", max_length=8, choices=CommitmentState.choices, default=CommitmentState.OPEN)
    done_on = models.DateField("办结日期", null=True, blank=True)
    evidence = models.CharField("办结情况", max_length=500, blank=True)
    overdue_at = models.DateTimeField("逾期标记时间", null=True, blank=True)
    created_at = models.DateTimeField("定责时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = "承诺事项"
        verbose_name_plural = "承诺事项"
        constraints = [
            models.CheckConstraint(condition=Q(state=CommitmentState.OPEN) | Q(done_on__isnull=False),
                                   name="commitment_done_has_day"),
        ]
        indexes = [
            models.Index(fields=["village", "state", "deadline"], name="commitment_village_state"),
            models.Index(fields=["owner", "state"], name="commitment_owner_state"),
        ]

    def __str__(self) -> str:
        return self.demand

    def overdue_on(self, today: dt.date) -> bool:
        return self.state == CommitmentState.OPEN and self.deadline < today

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())

    @property
    def kept(self) -> bool:
        """Done by its deadline (兑现)."""
        return self.state == CommitmentState.DONE and self.done_on is not None and self.done_on <= self.deadline

    @property
    def status_label(self) -> str:
        if self.state == CommitmentState.DONE:
            return "按期办结" if self.kept else "逾期办结"
        return "已逾期" if self.is_overdue else "办理中"


class CommitmentAction(models.TextChoices):
    MAKE = "make", "定责"
    PROGRESS = "progress", "进展"
    DONE = "done", "办结"
    REOPEN = "reopen", "核查退回"
    OVERDUE = "overdue", "逾期"


class CommitmentEvent(AppendOnly):
    """One step of a commitment: who (none for the sweep), when, from which state to which, what."""

    append_only_noun = "承诺办理记录"

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=10, choices=CommitmentAction.choices)
    from_state = models.CharField(max_length=8, choices=CommitmentState.choices, blank=True)
    to_state = models.CharField(max_length=8, choices=CommitmentState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    note = models.CharField("说明", max_length=500, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "承诺办理记录"
        verbose_name_plural = "承诺办理记录"

    def __str__(self) -> str:
        return self.get_action_display()


class CommitmentPhoto(StoredPhoto):
    """A photo of the commitment done (evidence), kept for the village's and the township's staff."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to="meetings/%Y/%m/")
    thumbnail = models.FileField(upload_to="meetings/%Y/%m/thumbs/")

    class Meta:
        ordering = ["id"]


# --- 四议两公开 -----------------------------------------------------------------------------------------


class DeliberationState(models.TextChoices):
    IN_PROGRESS = "in_progress", "进行中"
    COMPLETED = "completed", "已完成"
    STOPPED = "stopped", "已终止"


class StepKind(models.TextChoices):
    """The proposal and the six steps after it, in their order (``STEP_ORDER``)."""

    PROPOSAL = "proposal", "事项提出"
    BRANCH = "branch", "党支部会议提议"
    JOINT = "joint", "两委联席会议商议"
    MEMBERS = "members", "党员大会审议"
    REPRESENTATIVES = "representatives", "村民代表会议决议"
    DECISION_PUBLIC = "decision_public", "决议公开"
    RESULT_PUBLIC = "result_public", "实施结果公开"


STEP_ORDER: tuple[str, ...] = tuple(StepKind.values)
# Steps decided by a vote, and what part of those expected must attend for the meeting to decide:
# more than half (a party branch, the joint meeting, the members' meeting: 党章), at least two thirds
# (villager representatives: 村民委员会组织法 第二十六条) — (numerator, denominator, strictly more).
VOTING_STEPS: dict[str, tuple[int, int, bool]] = {
    StepKind.BRANCH: (1, 2, True),
    StepKind.JOINT: (1, 2, True),
    StepKind.MEMBERS: (1, 2, True),
    StepKind.REPRESENTATIVES: (2, 3, False),
}


class Deliberation(models.Model):
    """One village matter (一事一议) through 四议两公开. ``step`` is the last step recorded; ``state``
    follows the steps: stopped by a failed vote, completed by 实施结果公开. A village project it concerns
    (``project``) keeps its own donations; a matter without one keeps them here."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                verbose_name="村/社区")
    title = models.CharField("事项", max_length=100)
    description = models.TextField("事项内容", blank=True)
    amount = models.PositiveBigIntegerField("涉及金额（元）", null=True, blank=True)
    proposer = models.CharField("提议人", max_length=50)
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="关联村级项目")
    state = models.CharField("状态", max_length=12, choices=DeliberationState.choices,
                             default=DeliberationState.IN_PROGRESS)
    step = models.CharField("当前环节", max_length=16, choices=StepKind.choices, default=StepKind.PROPOSAL)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)  # the township's first pass
    created_at = models.DateTimeField("登记时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "四议两公开事项"
        verbose_name_plural = "四议两公开事项"
        indexes = [models.Index(fields=["village", "state"], name="deliberation_village_state")]

    def __str__(self) -> str:
        return self.title

    @property
    def step_number(self) -> int:
        """1 (the proposal) … 7 (实施结果公开)."""
        return STEP_ORDER.index(self.step) + 1

    @property
    def next_step(self) -> str | None:
        if self.state != DeliberationState.IN_PROGRESS:
            return None
        n = STEP_ORDER.index(self.step) + 1
        return STEP_ORDER[n] if n < len(STEP_ORDER) else None

    @property
    def next_step_label(self) -> str:
        nxt = self.next_step
        return StepKind(nxt).label if nxt else ""

    @property
    def next_step_votes(self) -> bool:
        return self.next_step in VOTING_STEPS


class DeliberationStep(AppendOnly):
    """One step of a matter as it happened: date, attendance (and how many were expected), the votes, the
    minutes or what was published. ``passed`` is set on the four voting steps only."""

    append_only_noun = "四议两公开记录"

    deliberation = models.ForeignKey(Deliberation, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField("环节", max_length=16, choices=StepKind.choices)
    held_on = models.DateField("日期")
    place = models.CharField("地点或公开方式", max_length=100, blank=True)
    expected = models.PositiveIntegerField("应到人数", null=True, blank=True)
    attendance = models.PositiveIntegerField("实到人数", null=True, blank=True)
    votes_for = models.PositiveIntegerField("赞成", null=True, blank=True)
    votes_against = models.PositiveIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveIntegerField("弃权", null=True, blank=True)
    passed = models.BooleanField("通过", null=True, blank=True)
    minutes = models.TextField("会议纪要或公开内容", blank=True)
    minutes_hidden = models.CharField("已隐去", max_length=50, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = "四议两公开记录"
        verbose_name_plural = "四议两公开记录"
        constraints = [
            models.UniqueConstraint(fields=["deliberation", "kind"], name="deliberation_step_once"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def number(self) -> int:
        return STEP_ORDER.index(self.kind) + 1


class Attachment(models.Model):
    """A file kept with the secretary's report or a deliberation step (a PDF, or a photo re-encoded
    without its EXIF), for the village's and the township's staff."""

    meeting = models.ForeignKey(SunshineMeeting, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="attachments")
    step = models.ForeignKey(DeliberationStep, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="attachments")
    name = models.CharField("文件名", max_length=100)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    file = models.FileField(upload_to="meetings/files/%Y/%m/")
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = "附件"
        verbose_name_plural = "附件"
        constraints = [
            models.CheckConstraint(condition=Q(meeting__isnull=True, step__isnull=False)
                                   | Q(meeting__isnull=False, step__isnull=True), name="attachment_one_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class DonationKind(models.TextChoices):
    MONEY = "money", "捐款"
    LABOUR = "labour", "投工投劳"


class DeliberationDonation(AppendOnly):
    """Money (元) or labour (人·天) given for a matter that has no village project of its own. A
    correction is a new row standing for the one it corrects (0 withdraws it), with its reason."""

    append_only_noun = "捐赠记录"

    deliberation = models.ForeignKey(Deliberation, on_delete=models.PROTECT, related_name="donations")
    kind = models.CharField("类别", max_length=8, choices=DonationKind.choices)
    donor_name = models.CharField("捐赠人", max_length=50)
    living_away = models.BooleanField("在外人士", default=False, help_text="在外党员、在外乡贤")
    anonymous = models.BooleanField("公开时匿名", default=False)
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
        verbose_name = "事项捐赠"
        verbose_name_plural = "事项捐赠"
        constraints = [
            models.CheckConstraint(condition=Q(corrects__isnull=True) | ~Q(reason=""),
                                   name="deliberation_donation_correction_reason"),
        ]

    def __str__(self) -> str:
        return self.donor_name


# --- screening ------------------------------------------------------------------------------------------


class ScreeningDecision(models.TextChoices):
    PASS = "pass", "通过"
    RETURN = "return", "退回"


class Screening(AppendOnly):
    """The township's decision on publishing a meeting's record or a deliberation (审核): who, when,
    pass or return, and why. A meeting is public after a pass; a deliberation from its first pass."""

    append_only_noun = "审核记录"

    meeting = models.ForeignKey(SunshineMeeting, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="screenings")
    deliberation = models.ForeignKey(Deliberation, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="screenings")
    decision = models.CharField("审核结果", max_length=8, choices=ScreeningDecision.choices)
    reason = models.CharField("审核意见", max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="审核人")
    at = models.DateTimeField("审核时间")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "公开审核"
        verbose_name_plural = "公开审核"
        constraints = [
            models.CheckConstraint(condition=Q(meeting__isnull=True, deliberation__isnull=False)
                                   | Q(meeting__isnull=False, deliberation__isnull=True), name="screening_one_target"),
            models.CheckConstraint(condition=Q(decision="pass") | ~Q(reason=""), name="screening_return_has_reason"),
        ]

    def __str__(self) -> str:
        return self.get_decision_display()
