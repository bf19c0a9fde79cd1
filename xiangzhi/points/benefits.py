"""积分优先 (seed 000): a village publishes a benefit — a training place, a job, a loan guarantee, an
honour — with a number of places and a points threshold; households reaching the threshold are ranked
by points and the first ones have priority. Closing computes the list once and keeps it, with its
digest (the 核验码)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.points.benefit_selectors import benefit_digest, benefit_rows_compute
from xiangzhi.points.errors import PointsConflict, PointsError
from xiangzhi.points.models import BenefitKind, BenefitState, PointsBenefit, PointsBenefitRow
from xiangzhi.points.rules import can_publish_benefits
from xiangzhi.regions.models import Region, RegionLevel

PUBLISHER_ONLY = "只有本村两委、积分管理员和乡镇积分管理人员可以发布积分优先事项"
MAX_PLACES = 10000
MAX_THRESHOLD = 1000000
MAX_BASIS_DAYS = 3 * 366


def _positive(value: int | None, name: str, label: str, high: int) -> int:
    if value is None:
        raise PointsError(f"请填写{label}", fields=field_error(name, "必填"))
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PointsError(f"{label}应大于 0", fields=field_error(name, "应大于 0"))
    if value > high:
        raise PointsError(f"{label}不能超过 {high}", fields=field_error(name, "太大"))
    return value


def _village_for(actor: User, village: Region) -> None:
    require(can_publish_benefits(actor), PUBLISHER_ONLY)
    if village.level != RegionLevel.VILLAGE:
        raise PointsError("积分优先事项按村（社区）发布", fields=field_error("village", "应为村"))
    if not scope_of(actor).covers_path(village.path):
        raise NotFound()


def benefit_publish(*, actor: User, village: Region, kind: str, title: str, description: str = "",
                    places: int | None, threshold: int | None, basis_start: dt.date, basis_end: dt.date,
                    opens_on: dt.date | None = None, closes_on: dt.date, now: dt.datetime | None = None,
                    ) -> PointsBenefit:
    """Publish a benefit of ``village``: only the village's cadres or points recorder, or the points
    administrators above it. Eligibility counts points earned from ``basis_start`` to ``basis_end``."""
    _village_for(actor, village)
    if kind not in BenefitKind.values:
        raise PointsError("请选择事项类别", fields=field_error("kind", "必选"))
    title = text(title, "title", "名称", 100, required=True, error=PointsError)
    description = text(description, "description", "说明", 2000, error=PointsError)
    places = _positive(places, "places", "名额", MAX_PLACES)
    threshold = _positive(threshold, "threshold", "积分门槛", MAX_THRESHOLD)
    now = now or timezone.now()
    opens_on = opens_on or timezone.localdate(now)
    if basis_end < basis_start:
        raise PointsError("计分期止不能早于计分期起", fields=field_error("basis_end", "早于起始日"))
    if (basis_end - basis_start).days > MAX_BASIS_DAYS:
        raise PointsError("计分期最长三年", fields=field_error("basis_start", "太长"))
    if basis_end > closes_on:
        raise PointsError("计分期不能晚于截止日期", fields=field_error("basis_end", "晚于截止日期"))
    if closes_on < opens_on:
        raise PointsError("截止日期不能早于公布日期", fields=field_error("closes_on", "早于公布日期"))
    with transaction.atomic():
        benefit = PointsBenefit.objects.create(
            village=village, kind=kind, title=title, description=description, places=places, threshold=threshold,
            basis_start=basis_start, basis_end=basis_end, opens_on=opens_on, closes_on=closes_on,
            published_by=actor, published_at=now,
        )
        audit_record(actor=actor, action=AuditAction.PUBLISH,
                     summary=f"发布{village.name}积分优先事项「{title}」（{places} 个名额，门槛 {threshold} 分）",
                     scope_path=village.path, subject=f"points.pointsbenefit:{benefit.pk}", at=now)
    return benefit


def _freeze(benefit: PointsBenefit, actor: User | None, now: dt.datetime) -> PointsBenefit:
    """Keep the ranked list as it stands and its digest (the 核验码 posted with it)."""
    rows = benefit_rows_compute(benefit)
    PointsBenefitRow.objects.bulk_create([
        PointsBenefitRow(benefit=benefit, household_id=r.household_id, number=r.number, head_name=r.head_name,
                         points=r.points, position=r.position, priority=r.priority)
        for r in rows
    ])
    benefit.state, benefit.closed_by, benefit.closed_at = BenefitState.CLOSED, actor, now
    benefit.content_hash = benefit_digest(benefit, rows)
    benefit.save(update_fields=["state", "closed_by", "closed_at", "content_hash"])
    audit_record(actor=actor, action=AuditAction.PUBLISH,
                 summary=(f"{benefit.village.name}积分优先事项「{benefit.title}」截止，名单固定"
                          f"（{sum(1 for r in rows if r.priority)} 户优先）"),
                 scope_path=benefit.village.path, subject=f"points.pointsbenefit:{benefit.pk}", at=now)
    return benefit


def benefit_close(*, actor: User, benefit: PointsBenefit, now: dt.datetime | None = None) -> PointsBenefit:
    """Close the benefit: its ranked list is computed once, now, and kept; points recorded later do
    not change who got it. Closing twice is refused."""
    _village_for(actor, benefit.village)
    now = now or timezone.now()
    with transaction.atomic():
        locked = PointsBenefit.objects.select_for_update().select_related("village").get(pk=benefit.pk)
        if locked.state == BenefitState.CLOSED:
            raise PointsConflict("该事项已截止，名单已固定")
        return _freeze(locked, actor, now)


def benefits_close_due(today: dt.date, now: dt.datetime | None = None) -> int:
    """Close every open benefit whose closing date has passed (the scheduled worker)."""
    now = now or timezone.now()
    closed = 0
    for pk in PointsBenefit.objects.filter(state=BenefitState.OPEN, closes_on__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            benefit = PointsBenefit.objects.select_for_update().select_related("village").get(pk=pk)
            if benefit.state == BenefitState.OPEN:
                _freeze(benefit, None, now)
                closed += 1
    return closed
