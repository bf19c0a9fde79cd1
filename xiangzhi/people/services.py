import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from xiangzhi.accounts.models import User
from xiangzhi.accounts.rules import can_reveal_identity
from xiangzhi.core.errors import DomainError, Forbidden, Invalid, RateLimited
from xiangzhi.lib import crypto, idnumber
from xiangzhi.people import selectors
from xiangzhi.people.models import Household, IdentitySearch, Relation, Resident, RevealRecord, Tag
from xiangzhi.regions.models import Grid


class RegisterError(Invalid):
    """A household-register change refused, with the reason in Chinese."""


class IdentitySearchRefused(DomainError):
    """A search by full ID number or phone refused: without the permission, or over the limit."""


class IdentitySearchForbidden(IdentitySearchRefused, Forbidden):
    code = "forbidden"


class IdentitySearchLimited(IdentitySearchRefused, RateLimited):
    code = "rate_limited"


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


def household_next_number(grid: Grid) -> str:
    last = Household.objects.filter(grid=grid).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(grid.code):]) + 1 if last and last[len(grid.code):].isdigit() else 1
    return f"{grid.code}{seq:04d}"


@transaction.atomic
def household_create(*, grid: Grid, residents: list[ResidentInput], address: str = "", number: str = "") -> Household:
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
def resident_reveal(*, user: User, resident: Resident, field: str, reason: str, ip_address: str | None = None) -> str:
    """The plain ID number or phone, for a user allowed to see it; leaves an audit record."""
    if not can_reveal_identity(user):
        raise Forbidden("无权查看完整证件号码")
    if field not in RevealRecord.Field.values:
        raise RegisterError("只能查看身份证号或手机号")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise RegisterError("请填写查看事由")
    RevealRecord.objects.create(user=user, resident=resident, field=field, reason=reason, ip_address=ip_address)
    token = resident.id_number_encrypted if field == RevealRecord.Field.ID_NUMBER else resident.phone_encrypted
    return crypto.decrypt(token) if token else ""


def household_search(*, user: User, search: str, grid: Grid | None = None,
                     ip_address: str | None = None) -> QuerySet[Household]:
    """The households a page or the API lists for ``search``. A full ID number or phone looks up one
    person, so it is a reveal in all but name: only with the reveal permission, at most
    ``IDENTITY_SEARCH_PER_HOUR`` an hour per user, and every attempt leaves an IdentitySearch row (kept
    even when the search is refused; callers must not roll it back)."""
    query = selectors.identity_query(search)
    if query is None:
        return selectors.household_list_for_user(user, grid=grid, search=search)

    def audit(outcome: str, matched: int = 0) -> None:
        IdentitySearch.objects.create(user=user, kind=query.kind, value_hash=query.value_hash, outcome=outcome,
                                      matched=matched, ip_address=ip_address)

    if not can_reveal_identity(user):
        audit(IdentitySearch.Outcome.DENIED)
        raise IdentitySearchForbidden("按完整身份证号或手机号查询需要证件查看权限；请按姓名或户编号查询")
    if not _identity_search_counted(user):
        audit(IdentitySearch.Outcome.LIMITED)
        raise IdentitySearchLimited(
            f"按完整身份证号或手机号查询过于频繁（每小时最多 {settings.IDENTITY_SEARCH_PER_HOUR} 次），请稍后再试")
    qs = selectors.household_list_by_identity(user, query=query, grid=grid)
    audit(IdentitySearch.Outcome.SEARCHED, qs.count())
    return qs


def _identity_window_key(user: User) -> str:
    return f"people:identity-search:{user.pk}:{int(time.time() // 3600)}"


def identity_lookups_left(user: User) -> bool:
    """Whether the user may make one more lookup by full number this clock hour (nothing counted)."""
    return (cache.get(_identity_window_key(user)) or 0) < settings.IDENTITY_SEARCH_PER_HOUR


def identity_import_check_record(*, user: User, clashes: int, ip_address: str | None = None) -> None:
    """An import whose ID numbers met registered residents told its author that those numbers exist:
    a lookup by full number like a search, so it is recorded and counted against the same hourly
    limit (the hash column holds nothing: the file may name many numbers)."""
    _identity_search_counted(user)
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.IMPORT, value_hash="",
                                  outcome=IdentitySearch.Outcome.SEARCHED, matched=clashes, ip_address=ip_address)


def identity_import_refused_record(*, user: User, ip_address: str | None = None) -> None:
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.IMPORT, value_hash="",
                                  outcome=IdentitySearch.Outcome.LIMITED, ip_address=ip_address)


def _identity_search_counted(user: User) -> bool:
    """Counts one search in this clock hour's window; False once the user is over the limit."""
    key = _identity_window_key(user)
    cache.add(key, 0, timeout=3600 + 60)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3600 + 60)
        used = 1
    return used <= settings.IDENTITY_SEARCH_PER_HOUR
