"""Meetings and matters of the small county's 东村 (village a1), built through the services."""

import datetime as dt

from django.utils import timezone

from xiangzhi.meetings import services
from xiangzhi.meetings.models import SunshineMeeting, quarter_bounds
from xiangzhi.meetings.selectors import recent_quarters

TODAY = timezone.localdate()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def quarter_back(n: int) -> tuple[int, int]:
    """The quarter ``n`` quarters before this one (0: this one)."""
    return recent_quarters(TODAY, n + 1)[n]


def held_day(year: int, quarter: int) -> dt.date:
    """A day the quarter's meeting may have been held on, not after today."""
    return min(quarter_bounds(year, quarter)[1] - dt.timedelta(days=5), TODAY)


def recorded(c, *, back: int = 1, village=None, attendance: int = 80, actor=None) -> SunshineMeeting:
    year, quarter = quarter_back(back)
    return services.meeting_record(actor=actor or c.users["village_cadre"], village=village or c.village_a1,
                                   year=year, quarter=quarter, held_on=held_day(year, quarter), place="村党群服务中心",
                                   attendance=attendance)


def complete(c, meeting: SunshineMeeting, *, votes=(60, 12, 3), deadline_days: int = 30, submit: bool = True,
             owner=None):
    """述, one question made a commitment (owner: the grid worker of a1), 评, submitted."""
    cadre = c.users["village_cadre"]
    services.meeting_report(actor=cadre, meeting=meeting, report="本季度完成村内道路硬化 1.2 公里。", items_reported=36)
    question = services.question_add(actor=cadre, meeting=meeting, text_="村北路灯不亮，什么时候修？")
    commitment = services.commitment_make(
        actor=cadre, meeting=meeting, demand="修复村北路灯", owner=owner or c.users["grid_worker"],
        deadline=meeting.held_on + dt.timedelta(days=deadline_days), measure="联系供电所更换灯具", question=question)
    services.meeting_vote(actor=cadre, meeting=meeting, satisfied=votes[0], basically_satisfied=votes[1],
                          dissatisfied=votes[2])
    if submit:
        services.meeting_submit(actor=cadre, meeting=meeting)
    meeting.refresh_from_db()
    return commitment


def published(c, *, back: int = 1, **kw) -> tuple[SunshineMeeting, object]:
    meeting = recorded(c, back=back)
    commitment = complete(c, meeting, **kw)
    services.meeting_screen(actor=c.users["township_staff"], meeting=meeting, passed=True)
    meeting.refresh_from_db()
    return meeting, commitment


def vote(expected=30, attendance=25, votes_for=20, votes_against=3, votes_abstain=2) -> dict:
    return {"expected": expected, "attendance": attendance, "votes_for": votes_for, "votes_against": votes_against,
            "votes_abstain": votes_abstain}


def proposed(c, *, title="主街安装太阳能路灯", days_ago: int = 60, **kw):
    return services.deliberation_propose(actor=c.users["village_cadre"], village=c.village_a1, title=title,
                                         proposer="村民代表联名", proposed_on=ago(days_ago), description="主街 40 盏",
                                         amount=120_000, **kw)


def step(c, d, kind, days_ago, **kw):
    kw.setdefault("minutes", "同意")
    return services.deliberation_step_record(actor=c.users["village_cadre"], deliberation=d, kind=kind,
                                             held_on=ago(days_ago), **kw)
