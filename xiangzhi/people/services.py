from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from xiangzhi.accounts.rules import can_reveal_identity
from xiangzhi.lib import crypto, idnumber
from xiangzhi.people.models import Household, Relation, Resident, RevealRecord, Tag


class RegisterError(ValueError):
    """A household-register change refused, with the reason in Chinese."""


@dataclass
class ResidentInput:
    name: str
    id_number: str
    relation: str = Relation.HEAD
    phone: str = ""
    tags: list[str] = field(default_factory=list)
    is_away: bool = False


def resident_build(*, household: Household, data: ResidentInput) -> Resident:
    """A validated, encrypted, unsaved resident. Raises IdNumberError or RegisterError."""
    parsed = idnumber.parse(data.id_number)
    unknown = [t for t in data.tags if t not in Tag.values]
    if unknown:
        raise RegisterError(f"未知的标签：{'、'.join(unknown)}")
    if data.relation not in Relation.values:
        raise RegisterError(f"未知的与户主关系：{data.relation}")
    if data.phone and not (data.phone.isdigit() and len(data.phone) == 11 and data.phone.startswith("1")):
        raise RegisterError("手机号应为以1开头的11位数字")
    resident = Resident(
        household=household,
        name=data.name.strip(),
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        relation=data.relation,
        tags=",".join(data.tags),
        is_away=data.is_away,
    )
    resident.set_id_number(parsed.value)
    resident.set_phone(data.phone)
    return resident


def household_next_number(grid) -> str:
    last = Household.objects.filter(grid=grid).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(grid.code):]) + 1 if last and last[len(grid.code):].isdigit() else 1
    return f"{grid.code}{seq:04d}"


@transaction.atomic
def household_create(*, grid, residents: list[ResidentInput], address: str = "", number: str = "") -> Household:
    heads = [r for r in residents if r.relation == Relation.HEAD]
    if len(heads) != 1:
        raise RegisterError("每户必须有且只有一名户主")
    household = Household.objects.create(
        grid=grid, number=number or household_next_number(grid), address=address, head_name=heads[0].name.strip()
    )
    built = [resident_build(household=household, data=r) for r in residents]
    hashes = [r.id_number_hash for r in built]
    if len(set(hashes)) != len(hashes):
        raise RegisterError("同一户中身份证号重复")
    if Resident.objects.filter(id_number_hash__in=hashes).exists():
        raise RegisterError("身份证号已登记在其他户")
    try:
        Resident.objects.bulk_create(built)
    except IntegrityError:
        raise RegisterError("身份证号已登记在其他户") from None
    return household


@transaction.atomic
def resident_reveal(*, user, resident: Resident, field: str, reason: str, ip_address: str | None = None) -> str:
    """The plain ID number or phone, for a user allowed to see it; leaves an audit record."""
    if not can_reveal_identity(user):
        raise PermissionDenied("无权查看完整证件号码")
    if field not in RevealRecord.Field.values:
        raise RegisterError("只能查看身份证号或手机号")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise RegisterError("请填写查看事由")
    RevealRecord.objects.create(user=user, resident=resident, field=field, reason=reason, ip_address=ip_address)
    token = resident.id_number_encrypted if field == RevealRecord.Field.ID_NUMBER else resident.phone_encrypted
    return crypto.decrypt(token) if token else ""
