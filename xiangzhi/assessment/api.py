"""/api/v1/assessment: schemes with their items, periods, the county ranking and a village's lost points,
scoped as the pages are."""

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from xiangzhi.assessment import selectors
from xiangzhi.assessment.rules import can_manage, can_view
from xiangzhi.core.inputs import require

router = Router(tags=["积分换项目"])


class ItemOut(Schema):
    group: str
    code: str
    name: str
    weight: int
    source: str
    category_codes: list[str]
    points_per_case: int
    finding_codes: list[str]


class SchemeOut(Schema):
    id: int
    name: str
    kind: str
    total: int
    version: int | None
    items: list[ItemOut]


class PeriodOut(Schema):
    id: int
    name: str
    scheme: str
    version: int
    start: dt.date
    end: dt.date
    state: str
    funded_count: int
    warned_count: int
    pool_yuan: int


class ScoreOut(Schema):
    village_code: str
    village: str
    township: str
    rank: int
    total: int
    corrected_total: int | None
    funded_yuan: int
    warned: bool
    flagged: bool


class LostPointOut(Schema):
    item: str
    group: str
    points: int
    reason: str
    source: str
    source_id: int | None
    day: dt.date | None


class CorrectionOut(Schema):
    points: int
    reason: str
    at: dt.datetime


class VillageScoreOut(ScoreOut):
    lost_points: list[LostPointOut]
    corrections: list[CorrectionOut]


def _period(p) -> dict:
    return {"id": p.pk, "name": p.name, "scheme": p.version.scheme.name, "version": p.version.number,
            "start": p.start, "end": p.end, "state": p.state, "funded_count": p.funded_count,
            "warned_count": p.warned_count, "pool_yuan": p.pool_yuan}


def _score(s, corrected: int | None) -> dict:
    return {"village_code": s.village.code, "village": s.village.name,
            "township": s.village.parent.name if s.village.parent else "", "rank": s.rank, "total": s.total,
            "corrected_total": corrected, "funded_yuan": s.funded_yuan, "warned": s.warned, "flagged": s.flagged}


@router.get("/schemes", response=list[SchemeOut])
def scheme_list(request: HttpRequest):
    require(can_manage(request.user))
    out = []
    for scheme in selectors.scheme_list_for_user(request.user):
        version = selectors.version_in_use(scheme)
        out.append({"id": scheme.pk, "name": scheme.name, "kind": scheme.kind, "total": scheme.total,
                    "version": version.number if version else None,
                    "items": selectors.item_list(version) if version else []})
    return out


@router.get("/periods", response=list[PeriodOut])
def period_list(request: HttpRequest):
    require(can_view(request.user))
    return [_period(p) for p in selectors.period_list_for_user(request.user)]


@router.get("/periods/{period_id}/scores", response=list[ScoreOut])
def period_scores(request: HttpRequest, period_id: int):
    require(can_view(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    return [_score(r.score, r.corrected) for r in selectors.ranking(request.user, period)]


@router.get("/periods/{period_id}/villages/{village_code}", response=VillageScoreOut)
def village_score(request: HttpRequest, period_id: int, village_code: str):
    require(can_view(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    d = selectors.village_score_get_for_user(request.user, period, village_code)
    corrected = d.score.total + sum(c.points for c in d.corrections) if d.corrections else None
    return {**_score(d.score, corrected),
            "lost_points": [{"item": lp.item.name, "group": lp.item.group, "points": lp.points, "reason": lp.reason,
                             "source": lp.source, "source_id": lp.source_id, "day": lp.day}
                            for lp in d.lost_points],
            "corrections": [{"points": c.points, "reason": c.reason, "at": c.at} for c in d.corrections]}
