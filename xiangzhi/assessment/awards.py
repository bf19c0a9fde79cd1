"""积分换项目: the funds of a closed village-scorecard period reach the funded villages' projects.

When a period of the 六零 village scorecard is closed, every village its current run funds
(``Score.funded_yuan`` > 0; a ``ScoreCorrection`` changes the points shown, never the funding) is
awarded that amount through ``projects.services.award_grant``, labelled 「<period>积分换项目奖补」: the
village's most urgent project waiting for funds takes it, or it waits for the village's next project.
Called by ``services.period_close`` inside its transaction; the award's key (period and village) makes
a second call record nothing new.
"""

import datetime as dt

from xiangzhi.accounts.models import User
from xiangzhi.assessment.models import Period, SchemeKind, Score
from xiangzhi.projects.services import award_grant


def award_source(period: Period) -> str:
    return f"{period.name}积分换项目奖补"


def award_key(period: Period, village_id: int) -> str:
    return f"assessment:period:{period.pk}:village:{village_id}"


def period_awards_grant(*, period: Period, actor: User, now: dt.datetime | None = None) -> int:
    """Awards the funded villages of ``period`` (a village scorecard; other schemes fund nothing);
    answers how many villages were funded."""
    if period.version.scheme.kind != SchemeKind.VILLAGE_SCORECARD or period.current_run_id is None:
        return 0
    funded = (Score.objects.filter(run_id=period.current_run_id, funded_yuan__gt=0).select_related("village")
              .defer("village__boundary").order_by("rank", "village__code"))
    count = 0
    for score in funded:
        award_grant(village=score.village, source=award_source(period), amount=score.funded_yuan,
                    key=award_key(period, score.village_id), actor=actor, now=now)
        count += 1
    return count
