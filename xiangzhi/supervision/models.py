"""一村一码 (003): the village's QR code and what comes in through it.

- ``VillageCode``: each issue of a village's code. The poster's link carries a signed token naming the
  village and the code's generation; re-issuing (a lost or defaced poster) makes the older posters
  lead to a page saying the code was replaced. A village with no row is on its first generation.
- ``Question`` (码上问): asked by anyone, masked (ID numbers, phones, card numbers) before it is stored,
  screened, answered in public by the village or township, with deadlines on working days.
- ``ModerationDecision``: every screening decision and every publication on the village page, one
  append-only row each: who, when, what, why.
- ``QrReport`` (码上办): a case reported from the village page by a phone confirmed by SMS code, with
  no account; its follow link is signed over this row.

A questioner's phone is stored encrypted (for the reply by SMS) with a keyed hash beside it (to count
his questions against the limits); his address only as a keyed hash. Neither is ever shown.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from xiangzhi.core.models import AppendOnly


class VillageCode(models.Model):
    """One issue of a village's QR code. The newest row's generation is the code in force."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    generation = models.PositiveIntegerField("版次")
    issued_at = models.DateTimeField("生成时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="操作人")
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        ordering = ["village_id", "-generation"]
        verbose_name = "村务公开码"
        verbose_name_plural = "村务公开码"
        constraints = [
            models.UniqueConstraint(fields=["village", "generation"], name="village_code_generation_once"),
            models.CheckConstraint(condition=Q(generation__gte=1), name="village_code_generation_positive"),
        ]

    def __str__(self) -> str:
        return f"第{self.generation}版"


class QuestionCategory(models.TextChoices):
    """The supervision modules of 沾化's 码上监督 (003)."""

    AFFAIRS = "affairs", "三务三资"
    POLICY = "policy", "上级政策"
    LIVELIHOOD = "livelihood", "民生事项"
    CONDUCT = "conduct", "干部作风"
    OTHER = "other", "其他"


class QuestionState(models.TextChoices):
    SCREENING = "screening", "待审核"
    REJECTED = "rejected", "未通过审核"
    WAITING = "waiting", "待答复"
    ANSWERED = "answered", "已答复"
    WITHDRAWN = "withdrawn", "已撤下"


class Question(models.Model):
    """码上问. ``text`` is what the asker wrote with personal numbers already masked; the original is
    never stored. Public once answered (and not withdrawn), the asker shown as 「村民」."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    category = models.CharField("类别", max_length=12, choices=QuestionCategory.choices,
                                default=QuestionCategory.OTHER)
    text = models.TextField("问题")
    masked_kinds = models.CharField("已隐去", max_length=60, blank=True,
                                    help_text="提问中被隐去的个人信息种类，逗号分隔")
    phone_encrypted = models.CharField(max_length=100, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    address_hash = models.CharField(max_length=64, blank=True)
    submission_id = models.CharField(max_length=64)
    state = models.CharField("状态", max_length=10, choices=QuestionState.choices, default=QuestionState.SCREENING)
    asked_at = models.DateTimeField("提问时间")
    screen_due_at = models.DateTimeField("审核时限")
    answer_due_at = models.DateTimeField("答复时限")
    screened_at = models.DateTimeField("审核时间", null=True, blank=True)
    reject_reason = models.CharField("未通过原因", max_length=200, blank=True)
    answer = models.TextField("答复", blank=True)
    answer_post = models.CharField("答复单位", max_length=40, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="答复人")

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = "码上问"
        verbose_name_plural = "码上问"
        constraints = [
            models.UniqueConstraint(fields=["village", "submission_id"], name="question_submitted_once"),
            models.CheckConstraint(condition=~Q(state="rejected") | ~Q(reject_reason=""),
                                   name="question_rejected_has_reason"),
            models.CheckConstraint(condition=~Q(state="answered") | ~Q(answer=""), name="question_answered_has_answer"),
        ]
        indexes = [
            models.Index(fields=["village", "state", "asked_at"], name="question_village_state"),
            models.Index(fields=["phone_hash", "asked_at"], name="question_phone_asked"),
            models.Index(fields=["address_hash", "asked_at"], name="question_address_asked"),
        ]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def masked_kind_list(self) -> list[str]:
        return [k for k in self.masked_kinds.split(",") if k]


class ModerationSubject(models.TextChoices):
    QUESTION = "question", "提问"
    ANSWER = "answer", "答复"


class ModerationOutcome(models.TextChoices):
    PASS = "pass", "审核通过"
    REJECT = "reject", "不予公开"
    PUBLISH = "publish", "公开答复"
    WITHDRAW = "withdraw", "撤下"


class ModerationDecision(AppendOnly):
    """One decision on what the village page shows: a question screened, an answer published, a
    question taken down. Only ever added."""

    append_only_noun = "审核记录"

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="decisions")
    subject = models.CharField("对象", max_length=10, choices=ModerationSubject.choices)
    outcome = models.CharField("决定", max_length=10, choices=ModerationOutcome.choices)
    reason = models.CharField("理由", max_length=200, blank=True)
    masked_kinds = models.CharField("已隐去", max_length=60, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    decided_at = models.DateTimeField("时间")

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"

    def __str__(self) -> str:
        return f"{self.get_subject_display()}{self.get_outcome_display()}"


class QrReport(models.Model):
    """A case reported through the village page (码上办) without an account: which phone (as a keyed
    hash) and which address sent it, under which submission id (a double tap makes one case)."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    phone_hash = models.CharField(max_length=64)
    address_hash = models.CharField(max_length=64, blank=True)
    submission_id = models.CharField(max_length=64)
    created_at = models.DateTimeField("提交时间")
    link_sent_at = models.DateTimeField("进度链接发送时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "码上办"
        verbose_name_plural = "码上办"
        constraints = [
            models.UniqueConstraint(fields=["phone_hash", "submission_id"], name="qr_report_submitted_once"),
        ]
        indexes = [
            models.Index(fields=["phone_hash", "created_at"], name="qr_report_phone_created"),
            models.Index(fields=["address_hash", "created_at"], name="qr_report_address_created"),
        ]

    def __str__(self) -> str:
        return f"码上办 {self.case_id}"
