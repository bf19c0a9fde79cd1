"""C9 reaching people: announcements with read receipts, polls and surveys, and the evening meetings
(民情恳谈 / 百姓夜话) whose demands become cases.

An announcement or a poll is addressed to an audience — a grid, a village, a township, a party group,
the party members living away (在外党员) or everyone living away (外出人员) of a region — resolved to
people on the register when it is sent: one receipt row per recipient, read once. A vote is a ballot
row with its answers; one ballot per household or per person is the database's rule (two partial
unique constraints), not only a check."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from xiangzhi.core.models import AppendOnly


class AudienceKind(models.TextChoices):
    GRID = "grid", "网格"
    VILLAGE = "village", "村/社区"
    TOWNSHIP = "township", "乡镇/街道"
    PARTY_GROUP = "party_group", "党小组"
    AWAY_MEMBERS = "away_members", "在外党员"
    AWAY_RESIDENTS = "away_residents", "外出人员"


# Audiences made of households (a household vote needs one); party groups and people away are persons.
HOUSEHOLD_AUDIENCES = frozenset({AudienceKind.GRID, AudienceKind.VILLAGE, AudienceKind.TOWNSHIP})


class PublicState(models.TextChoices):
    """Where an announcement or poll marked public stands with the village's public page: it waits for
    the township's screening, then is shown (passed) or kept off (returned). Empty when not public."""

    WAITING = "waiting", "待审核"
    PASSED = "passed", "已通过"
    RETURNED = "returned", "已退回"


class Addressed(models.Model):
    """Whom an announcement or a poll is for. ``region`` is the village or township (for a grid, its
    village; for a party group, its branch's village; for people away, the region they come from);
    ``scope_path`` is the grid's path, or the region's, and scopes every read."""

    audience = models.CharField("对象", max_length=16, choices=AudienceKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区域")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="网格")
    party_group = models.ForeignKey("party.PartyGroup", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="党小组")
    scope_path = models.CharField(max_length=255, db_index=True)
    audience_label = models.CharField("发送范围", max_length=100)

    class Meta:
        abstract = True


class Announcement(Addressed):
    """通知公告: sent at once to everyone in its audience; ``recipients`` is how many receipts it has."""

    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文")
    issuer = models.CharField("落款", max_length=50)
    is_public = models.BooleanField("在村务公开页显示", default=False)
    public_state = models.CharField("公开审核", max_length=8, choices=PublicState.choices, blank=True, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name="发送人")
    sent_at = models.DateTimeField("发送时间", default=timezone.now)
    recipients = models.PositiveIntegerField("接收人数", default=0)
    # The site's address as the sender reached it: the start of the links sent by SMS.
    site = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["scope_path", "sent_at"], name="participation_ann_scope_sent")]
        verbose_name = "通知公告"
        verbose_name_plural = "通知公告"

    def __str__(self) -> str:
        return self.title


class ReceiptChannel(models.TextChoices):
    INBOX = "inbox", "站内消息"
    SMS = "sms", "短信"
    NONE = "none", "无账号无手机"


class AnnouncementReceipt(models.Model):
    """One recipient of an announcement: the person on the register, his account if he has one, the
    grid he lived in when it was sent, how it reached him and when he first opened it. A person with
    no account is sent an SMS with a link of his own (``link_key``), which marks this receipt read."""

    class ReadVia(models.TextChoices):
        SITE = "site", "登录查看"
        LINK = "link", "短信链接"

    announcement = models.ForeignKey(Announcement, on_delete=models.PROTECT, related_name="receipts",
                                     verbose_name="通知公告")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+", verbose_name="接收人")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name="账号")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, related_name="+", verbose_name="网格")
    channel = models.CharField("送达方式", max_length=8, choices=ReceiptChannel.choices)
    link_key = models.CharField(max_length=16, blank=True, default="")
    sms_round = models.PositiveSmallIntegerField("短信轮次", default=0)
    sms_status = models.CharField("短信结果", max_length=100, blank=True, default="")
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    read_via = models.CharField("阅读方式", max_length=8, choices=ReadVia.choices, blank=True, default="")

    class Meta:
        ordering = ["announcement_id", "grid_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["announcement", "resident"], name="participation_one_receipt_a_person"),
            models.UniqueConstraint(fields=["link_key"], condition=~Q(link_key=""),
                                    name="participation_receipt_link_key"),
        ]
        indexes = [
            models.Index(fields=["announcement", "read_at"], name="participation_receipt_read"),
            models.Index(fields=["user", "announcement"], name="participation_receipt_user"),
        ]
        verbose_name = "阅读回执"
        verbose_name_plural = "阅读回执"

    def __str__(self) -> str:
        return f"{self.announcement} · {self.resident}"


class AnnouncementReminder(AppendOnly):
    """A reminder to those who had not read: who, when, how many."""

    append_only_noun = "提醒记录"

    announcement = models.ForeignKey(Announcement, on_delete=models.PROTECT, related_name="reminders",
                                     verbose_name="通知公告")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="提醒人")
    at = models.DateTimeField("时间")
    unread = models.PositiveIntegerField("提醒人数")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "未读提醒"
        verbose_name_plural = "未读提醒"

    def __str__(self) -> str:
        return f"{self.announcement} 提醒 {self.unread} 人"


class VoteUnit(models.TextChoices):
    HOUSEHOLD = "household", "每户一票"
    PERSON = "person", "每人一票"


class Poll(Addressed):
    """民意调查 / 满意度测评: questions, open between two moments (or until closed early), one vote per
    household or per person. ``electorate`` is how many households or people could vote when it was
    made. Results are shown to voters and, when public, on the village's page: at once when
    ``results_live``, otherwise once it has closed."""

    title = models.CharField("标题", max_length=100)
    description = models.TextField("说明", blank=True, default="")
    unit = models.CharField("投票方式", max_length=10, choices=VoteUnit.choices)
    opens_at = models.DateTimeField("开始时间")
    closes_at = models.DateTimeField("截止时间")
    results_live = models.BooleanField("投票期间公布结果", default=False)
    is_public = models.BooleanField("在村务公开页公布结果", default=False)
    public_state = models.CharField("公开审核", max_length=8, choices=PublicState.choices, blank=True, default="")
    electorate = models.PositiveIntegerField("可投票户数或人数", default=0)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name="发起人")
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    closed_at = models.DateTimeField("提前结束时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="结束人")

    class Meta:
        ordering = ["-opens_at", "-id"]
        indexes = [models.Index(fields=["scope_path", "opens_at"], name="participation_poll_scope")]
        verbose_name = "民意调查"
        verbose_name_plural = "民意调查"

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self):
        """When voting ended or ends: the close, or the early close if it came first."""
        return min(self.closes_at, self.closed_at) if self.closed_at else self.closes_at

    def state_at(self, now) -> str:
        if now < self.opens_at:
            return "upcoming"
        return "closed" if now >= self.ends_at else "open"


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    SCALE = "scale", "满意度"


# The satisfaction scale, best first, with the score each answer counts for in the mean.
SCALE = (("非常满意", 5), ("满意", 4), ("基本满意", 3), ("不满意", 2), ("非常不满意", 1))
SATISFIED_FLOOR = 3  # 基本满意 and above count as satisfied, as the case evaluations count them


class PollQuestion(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="questions", verbose_name="调查")
    position = models.PositiveSmallIntegerField("序号")
    text = models.CharField("题目", max_length=200)
    kind = models.CharField("题型", max_length=10, choices=QuestionKind.choices)

    class Meta:
        ordering = ["poll_id", "position"]
        constraints = [models.UniqueConstraint(fields=["poll", "position"], name="participation_question_position")]
        verbose_name = "调查题目"
        verbose_name_plural = "调查题目"

    def __str__(self) -> str:
        return self.text


class PollOption(models.Model):
    question = models.ForeignKey(PollQuestion, on_delete=models.PROTECT, related_name="options", verbose_name="题目")
    position = models.PositiveSmallIntegerField("序号")
    text = models.CharField("选项", max_length=50)
    value = models.PositiveSmallIntegerField("分值", null=True, blank=True)  # the scale's score

    class Meta:
        ordering = ["question_id", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "position"], name="participation_option_position")]
        verbose_name = "选项"
        verbose_name_plural = "选项"

    def __str__(self) -> str:
        return self.text


class PollBallot(AppendOnly):
    """One vote. In a household poll the ballot is the household's (``resident`` empty); in a person
    poll it is the person's (``household`` kept beside it). The two partial unique constraints are the
    one-vote rule: a second ballot of the household or the person is refused by the database. A ballot
    collected on paper door to door is entered by the grid worker or cadre (``voter``, ``on_paper``)."""

    append_only_noun = "投票记录"

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots", verbose_name="调查")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+", verbose_name="户")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="投票人")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="投票账号")
    on_paper = models.BooleanField("入户代录", default=False)
    cast_at = models.DateTimeField("投票时间")

    class Meta:
        ordering = ["poll_id", "cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "household"], condition=Q(resident__isnull=True),
                                    name="participation_one_vote_a_household"),
            models.UniqueConstraint(fields=["poll", "resident"], condition=Q(resident__isnull=False),
                                    name="participation_one_vote_a_person"),
        ]
        verbose_name = "投票"
        verbose_name_plural = "投票"

    def __str__(self) -> str:
        return f"{self.poll} · {self.household_id}"


class PollAnswer(AppendOnly):
    append_only_noun = "投票记录"

    ballot = models.ForeignKey(PollBallot, on_delete=models.PROTECT, related_name="answers", verbose_name="投票")
    question = models.ForeignKey(PollQuestion, on_delete=models.PROTECT, related_name="+", verbose_name="题目")
    option = models.ForeignKey(PollOption, on_delete=models.PROTECT, related_name="+", verbose_name="选项")

    class Meta:
        ordering = ["ballot_id", "question_id", "option_id"]
        constraints = [models.UniqueConstraint(fields=["ballot", "option"], name="participation_answer_once")]
        indexes = [models.Index(fields=["question", "option"], name="participation_answer_count")]
        verbose_name = "答案"
        verbose_name_plural = "答案"

    def __str__(self) -> str:
        return f"{self.question} → {self.option}"


class ScreeningDecision(models.TextChoices):
    PASS = "pass", "通过"
    RETURN = "return", "退回"


class PublicScreening(AppendOnly):
    """The township's decision on showing an announcement or a poll on the village's public page (审核):
    who, when, pass or return, and why (a return always says why). The item's ``public_state`` follows
    the decision; the rows are the record and are never changed."""

    append_only_noun = "审核记录"

    announcement = models.ForeignKey(Announcement, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="screenings", verbose_name="通知公告")
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, null=True, blank=True, related_name="screenings",
                             verbose_name="调查")
    decision = models.CharField("审核结果", max_length=8, choices=ScreeningDecision.choices)
    reason = models.CharField("审核意见", max_length=200, blank=True, default="")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="审核人")
    at = models.DateTimeField("审核时间")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(announcement__isnull=True, poll__isnull=False)
                                   | Q(announcement__isnull=False, poll__isnull=True),
                                   name="participation_screening_one_target"),
            models.CheckConstraint(condition=Q(decision="pass") | ~Q(reason=""),
                                   name="participation_screening_return_has_reason"),
        ]
        verbose_name = "公开审核"
        verbose_name_plural = "公开审核"

    def __str__(self) -> str:
        return f"{self.get_decision_display()} · {self.announcement or self.poll}"


class MeetingKind(models.TextChoices):
    CONSULTATION = "consultation", "民情恳谈会"
    EVENING = "evening", "百姓夜话"


class Meeting(models.Model):
    """民情恳谈 / 百姓夜话: a village evening where cadres hear the villagers (seed 003: 1.4万 held,
    6,435 demands gathered, 6,132 resolved). Its demands become cases."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    kind = models.CharField("形式", max_length=16, choices=MeetingKind.choices)
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=100)
    host_name = models.CharField("主持人", max_length=50)
    attendance = models.PositiveIntegerField("参加人数")
    summary = models.TextField("情况记录", blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["village", "held_on"], name="participation_meeting_day")]
        verbose_name = "民情恳谈"
        verbose_name_plural = "民情恳谈"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.held_on}）"


class MeetingDemand(models.Model):
    """A demand raised at a meeting, and the case it became (``cases.services.case_report``, channel
    民情恳谈). It counts as resolved when its case is closed."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="demands", verbose_name="会议")
    title = models.CharField("诉求", max_length=100)
    detail = models.TextField("具体情况", blank=True, default="")
    raised_by = models.CharField("提出人", max_length=50, blank=True, default="")
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name="类别")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="网格")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+",
                                verbose_name="事件")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        ordering = ["meeting_id", "id"]
        verbose_name = "恳谈诉求"
        verbose_name_plural = "恳谈诉求"

    def __str__(self) -> str:
        return self.title
