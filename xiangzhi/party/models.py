"""党组织, as far as assessment needs it: a village's branch (党支部), its party groups (党小组) with
the grids each serves (001 builds grids on party groups), the members of each group and their duty
posts (设岗定责). Every assignment is a dated row that is ended with a reason, never deleted; edits of
a branch or a group leave a ``PartyChange``. Members living away (在外党员) are the register's 外出
residents, listed under their home group with where they are."""

from django.conf import settings
from django.db import models


class Branch(models.Model):
    """党支部: one per village."""

    village = models.OneToOneField("regions.Region", on_delete=models.PROTECT, related_name="party_branch",
                                   verbose_name="村/社区")
    name = models.CharField("支部名称", max_length=100)
    secretary = models.ForeignKey("people.Resident", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="支部书记")
    founded_on = models.DateField("成立日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village__code"]
        verbose_name = "党支部"
        verbose_name_plural = "党支部"

    def __str__(self) -> str:
        return self.name


class PartyGroup(models.Model):
    """党小组 of a branch, led by one of its members."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="groups", verbose_name="党支部")
    name = models.CharField("小组名称", max_length=100)
    leader = models.ForeignKey("people.Resident", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="党小组长")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["branch_id", "name", "id"]
        verbose_name = "党小组"
        verbose_name_plural = "党小组"
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="party_group_name_per_branch")]

    def __str__(self) -> str:
        return self.name


class GroupGrid(models.Model):
    """A grid a party group serves, from when to when: a grid is served by one group at a time."""

    group = models.ForeignKey(PartyGroup, on_delete=models.PROTECT, related_name="grid_links", verbose_name="党小组")
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, related_name="party_group_links",
                             verbose_name="网格")
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True, default="")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="安排人")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="结束人")

    class Meta:
        ordering = ["group_id", "grid__code", "-started_on"]
        verbose_name = "党小组服务网格"
        verbose_name_plural = "党小组服务网格"
        constraints = [models.UniqueConstraint(fields=["grid"], condition=models.Q(ended_on__isnull=True),
                                               name="party_one_group_per_grid")]

    def __str__(self) -> str:
        return f"{self.group} 服务 {self.grid}"


class Membership(models.Model):
    """A party member in a group, joined to left (with the reason): one group at a time, history kept."""

    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="party_memberships",
                                 verbose_name="党员")
    group = models.ForeignKey(PartyGroup, on_delete=models.PROTECT, related_name="memberships",
                              verbose_name="党小组")
    joined_on = models.DateField("编入日期")
    left_on = models.DateField("离开日期", null=True, blank=True)
    leave_reason = models.CharField("离开原因", max_length=200, blank=True, default="")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="编入人")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="结束人")

    class Meta:
        ordering = ["group_id", "resident__name", "id"]
        verbose_name = "党小组成员"
        verbose_name_plural = "党小组成员"
        constraints = [models.UniqueConstraint(fields=["resident"], condition=models.Q(left_on__isnull=True),
                                               name="party_one_group_per_member")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.group}"


class DutyPostKind(models.Model):
    """A kind of duty post (政策宣传岗, 矛盾调解岗…): data the county keeps, not code. ``code`` never
    changes once used; a kind is retired with ``is_active``."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "党员岗位类别"
        verbose_name_plural = "党员岗位类别"

    def __str__(self) -> str:
        return self.name


class DutyPost(models.Model):
    """设岗定责: a member's post with the duties it carries, from when to when."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="posts",
                                   verbose_name="党小组成员")
    kind = models.ForeignKey(DutyPostKind, on_delete=models.PROTECT, related_name="posts", verbose_name="岗位")
    duties = models.CharField("岗位职责", max_length=300)
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True, default="")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="安排人")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="结束人")

    class Meta:
        ordering = ["membership_id", "kind__sort", "id"]
        verbose_name = "党员岗位"
        verbose_name_plural = "党员岗位"
        constraints = [models.UniqueConstraint(fields=["membership", "kind"], condition=models.Q(ended_on__isnull=True),
                                               name="party_one_post_of_a_kind")]

    def __str__(self) -> str:
        return f"{self.membership.resident} · {self.kind}"


class PartyChange(models.Model):
    """A change of a branch or a group (name, secretary, leader, founded): who, when, before, after, why."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="changes", verbose_name="党支部")
    group = models.ForeignKey(PartyGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="changes",
                              verbose_name="党小组")
    before = models.JSONField("修改前", default=dict)
    after = models.JSONField("修改后", default=dict)
    reason = models.CharField("原因", max_length=200, blank=True, default="")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="修改人")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "党组织变更记录"
        verbose_name_plural = "党组织变更记录"

    def __str__(self) -> str:
        return f"{self.branch} 变更"


class GroupActivityKind(models.TextChoices):
    THEME_DAY = "theme_day", "主题党日"
    STUDY = "study", "集中学习"
    SERVICE = "service", "志愿服务"
    VISITS = "visits", "入户走访"
    MEETING = "meeting", "党小组会"


class GroupActivity(models.Model):
    """An activity a party group held for its grids (主题党日, service, household visits…): when, what,
    how many members took part. Counted by the grid assessment's 党小组活动 item."""

    group = models.ForeignKey(PartyGroup, on_delete=models.PROTECT, related_name="activities", verbose_name="党小组")
    held_on = models.DateField("日期")
    kind = models.CharField("类型", max_length=12, choices=GroupActivityKind.choices)
    title = models.CharField("主题", max_length=100)
    attendees = models.PositiveSmallIntegerField("参加党员人数", default=0)
    note = models.CharField("情况说明", max_length=500, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = "党小组活动"
        verbose_name_plural = "党小组活动"
        indexes = [models.Index(fields=["group", "held_on"], name="party_activity_group_day")]

    def __str__(self) -> str:
        return f"{self.group} {self.held_on} {self.title}"
