import time

from django.conf import settings
from django.db import models

from xiangzhi.core.models import AppendOnly, StoredPhoto
from xiangzhi.lib import crypto, idnumber


class Household(models.Model):
    """户: the unit of points and of the household register."""

    number = models.CharField("户编号", max_length=32, unique=True)
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, related_name="households", verbose_name="网格")
    address = models.CharField("住址", max_length=200, blank=True)
    head_name = models.CharField("户主", max_length=50, blank=True)
    # A household is closed, never deleted: its last member died or left, or it merged into another.
    closed_on = models.DateField("注销日期", null=True, blank=True)
    closed_reason = models.CharField("注销原因", max_length=200, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name="并入户")
    # Where the house stands (WGS 84); the village moves a house whose point lies in another grid.
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "户"
        verbose_name_plural = "户"

    def __str__(self) -> str:
        return f"{self.head_name}户（{self.number}）"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    GRANDCHILD = "grandchild", "孙子女"
    PARENT = "parent", "父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class Tag(models.TextChoices):
    PARTY_MEMBER = "party_member", "党员"
    LOW_INCOME = "low_income", "低保"
    EXTREME_POVERTY = "extreme_poverty", "特困"
    DISABLED = "disabled", "残疾"
    VETERAN = "veteran", "退役军人"
    LEFT_BEHIND = "left_behind", "留守"
    EMPTY_NEST = "empty_nest", "空巢"


class ResidentTag(models.Model):
    """A resident tag the county uses: the built-in ones (``Tag``, which the code reads: 党员 for the party
    pages) and those the county defines in its configuration page. ``code`` is what ``Resident.tags``
    holds, so it never changes; a tag is retired with ``is_active`` (people keep it, no form offers it)."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=20, unique=True)
    is_builtin = models.BooleanField("内置", default=False)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "居民标签"
        verbose_name_plural = "居民标签"

    def __str__(self) -> str:
        return self.name


class _TagNames:
    """code → name of every tag, retired ones too, kept a minute in each process (a household page names
    the tags of each of its people); ``forget`` after a change."""

    ttl = 60.0

    def __init__(self) -> None:
        self.names: dict[str, str] | None = None
        self.loaded = 0.0

    def get(self) -> dict[str, str]:
        now = time.monotonic()
        if self.names is None or now - self.loaded > self.ttl:
            self.names = {**dict(Tag.choices), **dict(ResidentTag.objects.values_list("code", "name"))}
            self.loaded = now
        return self.names

    def forget(self) -> None:
        self.names = None


tag_names = _TagNames()


class Resident(models.Model):
    """居民. The ID number and phone are stored encrypted, with a keyed hash for exact lookup
    and a masked copy for display; nobody reads the plain value without a reveal record."""

    class Sex(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residents", verbose_name="户")
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices)
    id_number_encrypted = models.CharField(max_length=100, blank=True)
    # Null for a newborn registered before the ID number is issued (unique allows many nulls).
    id_number_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    phone_encrypted = models.CharField(max_length=100, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField("手机号", max_length=20, blank=True)
    tags = models.CharField("标签", max_length=200, blank=True, help_text="以逗号分隔的标签代码")
    is_away = models.BooleanField("外出", default=False)
    away_place = models.CharField("外出去向", max_length=100, blank=True)
    away_work = models.CharField("外出从事", max_length=100, blank=True)
    away_since = models.DateField("外出时间", null=True, blank=True)
    away_expected_back = models.DateField("预计返回", null=True, blank=True)
    is_deceased = models.BooleanField("已故", default=False)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    # Moved out of the county: the record is closed, kept, and no longer counted.
    left_on = models.DateField("迁出日期", null=True, blank=True)
    left_to = models.CharField("迁往", max_length=100, blank=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = "居民"
        verbose_name_plural = "居民"
        permissions = [("reveal_identity", "查看完整身份证号和手机号")]

    def __str__(self) -> str:
        return self.name

    @property
    def birth_year(self) -> int:
        """What pages and the API show instead of the birth date, which with the masked ID would finish it."""
        return self.birth_date.year

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def tag_labels(self) -> list[str]:
        labels = tag_names.get()
        return [labels.get(t, t) for t in self.tag_list]

    def set_id_number(self, value: str) -> None:
        self.id_number_encrypted, self.id_number_hash, self.id_number_masked = crypto.seal(value, idnumber.mask)

    def set_phone(self, value: str) -> None:
        self.phone_encrypted, self.phone_hash, self.phone_masked = crypto.seal(value, idnumber.mask_phone)


def counted(prefix: str = "") -> models.Q:
    """Residents still on the register: not deceased and not moved out of the county. ``prefix`` is the
    path to the resident (``"residents__"``) when filtering another model."""
    return models.Q(**{f"{prefix}is_deceased": False, f"{prefix}left_on__isnull": True})


class RevealRecord(models.Model):
    """Audit of every reading of a full ID number or phone."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", "身份证号"
        PHONE = "phone", "手机号"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="reveals")
    field = models.CharField(max_length=16, choices=Field.choices)
    reason = models.CharField("事由", max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "查看记录"
        verbose_name_plural = "查看记录"

    def __str__(self) -> str:
        return f"{self.user} 查看 {self.resident} 的{self.get_field_display()}"


class IdentitySearch(models.Model):
    """Audit of every search by a full ID number or phone, allowed or not. The number itself is never
    kept: only its keyed lookup hash, which matches ``Resident.id_number_hash`` / ``phone_hash``."""

    class Kind(models.TextChoices):
        ID_NUMBER = "id_number", "身份证号"
        PHONE = "phone", "手机号"
        IMPORT = "import", "导入查重"

    class Outcome(models.TextChoices):
        SEARCHED = "searched", "已查询"
        DENIED = "denied", "无权限，已拒绝"
        LIMITED = "limited", "超过次数限制，已拒绝"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    value_hash = models.CharField("号码摘要", max_length=64)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices)
    matched = models.PositiveIntegerField("匹配户数", default=0)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "证件号查询记录"
        verbose_name_plural = "证件号查询记录"

    def __str__(self) -> str:
        return f"{self.user} 按{self.get_kind_display()}查询（{self.get_outcome_display()}）"


class KeyCategory(models.Model):
    """A key-population category and how often its people are visited."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=50)
    visit_cycle_days = models.PositiveSmallIntegerField("走访周期（天）")
    description = models.CharField("说明", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "重点人群类别"
        verbose_name_plural = "重点人群类别"

    def __str__(self) -> str:
        return self.name


class KeyPerson(models.Model):
    """One entry of a resident in a key-population category, from registration to its end. A category
    change keeps the entry (and its visits); an ended entry stays, and registering again makes a new
    one. Every step leaves a ``KeyPersonChange``."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="key_entries")
    category = models.ForeignKey(KeyCategory, on_delete=models.PROTECT, related_name="people")
    registered_on = models.DateField("登记日期")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name="登记人")
    note = models.CharField("备注", max_length=200, blank=True)
    is_active = models.BooleanField("在册", default=True)
    ended_on = models.DateField("解除日期", null=True, blank=True)
    end_reason = models.CharField("解除原因", max_length=200, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="解除人")

    class Meta:
        verbose_name = "重点人员"
        verbose_name_plural = "重点人员"
        constraints = [
            models.UniqueConstraint(fields=["resident", "category"], condition=models.Q(is_active=True),
                                    name="key_person_active_once_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.resident}（{self.category}）"


class KeyPersonChange(models.Model):
    """重点人员变动: who registered, re-categorised or ended an entry, when, from what to what, and why."""

    class Kind(models.TextChoices):
        REGISTER = "register", "登记"
        CATEGORY = "category", "变更类别"
        END = "end", "解除"

    key_person = models.ForeignKey(KeyPerson, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField("变动", max_length=16, choices=Kind.choices)
    before = models.JSONField("之前", default=dict, blank=True)
    after = models.JSONField("之后", default=dict, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="经办人")
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "重点人员变动"
        verbose_name_plural = "重点人员变动"

    def __str__(self) -> str:
        return f"{self.key_person}：{self.get_kind_display()}"


class MemberHouseholdLink(models.Model):
    """党员联系户: a party member answerable for a few households of his village. A household has one
    member in post; an ended link keeps its row (who, when, why)."""

    member = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="linked_households",
                               verbose_name="党员")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="member_links", verbose_name="户")
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True, default="")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="安排人")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="结束人")

    class Meta:
        verbose_name = "党员联系户"
        verbose_name_plural = "党员联系户"
        indexes = [models.Index(fields=["member", "ended_on"], name="member_link_member_ended")]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=models.Q(ended_on__isnull=True),
                                    name="member_link_one_in_post_per_household"),
        ]

    def __str__(self) -> str:
        return f"{self.member} 联系 {self.household}"


class PlaceKind(models.Model):
    """A kind of place or facility (路灯, 井盖…): data the county keeps in the admin, not code. ``code``
    is what rows point at, so it never changes once used; a kind is retired with ``is_active``."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "部件与场所类别"
        verbose_name_plural = "部件与场所类别"

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.Model):
    """A kind of organisation (合作社, 家庭农场…), kept like ``PlaceKind``."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "组织类别"
        verbose_name_plural = "组织类别"

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """地、物: points of interest and facilities on a grid. Retired, never deleted (cases point at it);
    every add, edit, move and retirement leaves a ``PlaceChange``."""

    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, related_name="places", verbose_name="网格")
    kind = models.ForeignKey(PlaceKind, on_delete=models.PROTECT, to_field="code", related_name="places",
                             verbose_name="类别")
    name = models.CharField("名称", max_length=100)
    label = models.CharField("编号标识", max_length=50, blank=True)  # painted on it: 「17号杆」
    note = models.CharField("备注", max_length=500, blank=True)
    lon = models.FloatField("经度")
    lat = models.FloatField("纬度")
    is_active = models.BooleanField("在用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "部件与场所"
        verbose_name_plural = "部件与场所"
        indexes = [models.Index(fields=["lat", "lon"], name="people_place_latlon")]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """How a case names it: 「路灯 · 17号杆」, or the name when nothing is painted on it."""
        return f"{self.kind.name} · {self.label}" if self.label else f"{self.kind.name} · {self.name}"


class Organisation(models.Model):
    """组织 on a grid: cooperatives, family farms, firms, social organisations. The contact's phone is
    sealed like a resident's (encrypted, keyed hash, masked)."""

    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, related_name="organisations",
                             verbose_name="网格")
    kind = models.ForeignKey(OrganisationKind, on_delete=models.PROTECT, to_field="code",
                             related_name="organisations", verbose_name="类别")
    name = models.CharField("名称", max_length=100)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone_encrypted = models.CharField(max_length=100, blank=True)
    contact_phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    contact_phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    is_active = models.BooleanField("在册", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"

    def __str__(self) -> str:
        return self.name

    def set_contact_phone(self, value: str) -> None:
        self.contact_phone_encrypted, self.contact_phone_hash, self.contact_phone_masked = crypto.seal(
            value, idnumber.mask_phone)


class SiteAction(models.TextChoices):
    ADD = "add", "登记"
    IMPORT = "import", "导入"
    EDIT = "edit", "修改"
    MOVE = "move", "移动位置"
    RETIRE = "retire", "停用"


class PlaceChange(AppendOnly):
    """One step in a place's life: who, when, what it was before and after (names and codes as shown)."""

    append_only_noun = "部件变动记录"

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="changes", verbose_name="部件与场所")
    action = models.CharField("操作", max_length=10, choices=SiteAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间")
    before = models.JSONField("变动前", default=dict, blank=True)
    after = models.JSONField("变动后", default=dict, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "部件变动记录"
        verbose_name_plural = "部件变动记录"

    def __str__(self) -> str:
        return f"{self.place_id} {self.get_action_display()}"


class OrganisationChange(AppendOnly):
    """One step in an organisation's life, like ``PlaceChange`` (the phone only masked)."""

    append_only_noun = "组织变动记录"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="changes",
                                     verbose_name="组织")
    action = models.CharField("操作", max_length=10, choices=SiteAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间")
    before = models.JSONField("变动前", default=dict, blank=True)
    after = models.JSONField("变动后", default=dict, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "组织变动记录"
        verbose_name_plural = "组织变动记录"

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.get_action_display()}"


class HouseholdChange(models.Model):
    """登记变动: one proposed change to a household or one of its people, and its decision. Applying
    it writes the register and this row together; ``before``/``after`` keep what was shown then
    (phones and ID numbers masked), ``sealed`` the encrypted new values until they are applied."""

    class Kind(models.TextChoices):
        BIRTH = "birth", "出生"
        DEATH = "death", "死亡"
        AWAY = "away", "外出"
        RETURN = "return", "返回"
        PHONE = "phone", "手机号变更"
        HEAD = "head", "户主变更"
        MARRY_IN = "marry_in", "婚入"
        MARRY_OUT = "marry_out", "婚出"
        MOVE_IN = "move_in", "迁入"
        MOVE_OUT = "move_out", "迁出"
        SPLIT = "split", "分户"
        MERGE = "merge", "合户"
        CORRECTION = "correction", "信息更正"
        GRID = "grid", "调整网格"

    class State(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REFUSED = "refused", "已退回"

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="changes", verbose_name="户")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="changes",
                                 verbose_name="居民")
    kind = models.CharField("变动", max_length=16, choices=Kind.choices)
    before = models.JSONField("之前", default=dict, blank=True)
    after = models.JSONField("之后", default=dict, blank=True)
    sealed = models.JSONField(default=dict, blank=True)
    touches = models.JSONField(default=list, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="登记人")
    proposed_at = models.DateTimeField("登记时间")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    decider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="确认人")
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    refusal_reason = models.CharField("退回理由", max_length=200, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = "登记变动"
        verbose_name_plural = "登记变动"
        indexes = [models.Index(fields=["state", "household"], name="people_change_state_hh")]

    def __str__(self) -> str:
        return f"{self.household}：{self.get_kind_display()}（{self.get_state_display()}）"


class HouseholdChangePhoto(StoredPhoto):
    """The evidence of a change: a photo of the 户口本 page, re-encoded without EXIF."""

    change = models.ForeignKey(HouseholdChange, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to="register/%Y/%m/")
    thumbnail = models.FileField(upload_to="register/%Y/%m/thumbs/")

    class Meta:
        ordering = ["id"]
        verbose_name = "变动凭证照片"
        verbose_name_plural = "变动凭证照片"


class RegisterImport(models.Model):
    """户籍表格导入（待确认）: a household file that named people already registered, compared with the
    register and waiting for its importer's 确认导入 or 放弃. ``plan`` holds what confirming writes: the
    differences (masked, as shown) with the values each expects to find, and the new households with
    their ID numbers and phones sealed, never plain. It is emptied once applied or discarded, and a
    pending one lapses after ``HOURS``."""

    HOURS = 24

    class State(models.TextChoices):
        PENDING = "pending", "待确认"
        APPLIED = "applied", "已导入"
        DISCARDED = "discarded", "已放弃"

    importer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="导入人")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    households_new = models.PositiveIntegerField("新增户数", default=0)
    residents_new = models.PositiveIntegerField("新增人数", default=0)
    corrections = models.PositiveIntegerField("更正条数", default=0)
    unchanged = models.PositiveIntegerField("未变人数", default=0)
    plan = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "户籍导入"
        verbose_name_plural = "户籍导入"
        indexes = [models.Index(fields=["state", "created_at"], name="people_import_state_created")]

    def __str__(self) -> str:
        return f"户籍导入 {self.pk}（{self.get_state_display()}）"
