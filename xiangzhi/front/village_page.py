"""一村一码: the village's public page, opened by scanning the code on its poster, without login.

Phone first and light (no script beyond the site's own): 码上知 — what the village publishes — and the
two actions, 码上问 and 码上办. The page composes each app's public reads; the apps know nothing of it.
A code that does not verify (forged, tampered, naming no village) or that a newer poster replaced
answers a page of its own, never another village's page (``supervision.public_views.village_of``).

Nothing personal is shown: the points notice names households as it publishes them (masked), the
projects carry their money, questions their answer and the answering office, never the asker."""

from django.shortcuts import render

from xiangzhi.disclosure import selectors as disclosure
from xiangzhi.duties import selectors as duties
from xiangzhi.meetings import selectors as meetings
from xiangzhi.participation import selectors as participation
from xiangzhi.points import selectors as points
from xiangzhi.projects import selectors as projects
from xiangzhi.regions.selectors import township_of
from xiangzhi.supervision import selectors as supervision
from xiangzhi.supervision.public_views import village_of

NOTICE_ROWS = 10
PROJECTS_SHOWN = 5
QUESTIONS_SHOWN = 5


def _notice(village) -> dict | None:
    """The latest quarterly points notice: its 核验码 and whether it holds, and the top of its list."""
    latest = points.notice_list_public(village).first()
    if latest is None:
        return None
    notice = points.notice_get_public(latest.pk)
    return {"notice": notice, "check": points.notice_verify(notice), "rows": notice.rows[:NOTICE_ROWS],
            "more": max(0, len(notice.rows) - NOTICE_ROWS)}


def _projects(village) -> list:
    shown = list(projects.project_list_public(village)[:PROJECTS_SHOWN])
    totals = projects.totals_of(p.pk for p in shown)
    for p in shown:
        p.totals = totals[p.pk]
    return shown


def _sections(request, village) -> dict[str, object]:
    """What the other apps publish for the village, each read through its app's public selector and
    shown by its app's include: 三务三资 of the quarter with 上级政策, 民生事项 and 干部作风; the last
    sunshine meeting with its commitments and the 四议两公开 matters; the three lists in force; public
    announcements and polls."""
    return {
        "disclosure": disclosure.public_section(village, request.GET.get("quarter")),
        "meetings": {"sunshine": meetings.sunshine_meeting_last_public(village),
                     "deliberations": meetings.deliberation_list_public(village)},
        "duties": duties.public_lists(village),
        "participation": participation.public_section(village),
    }


def page(request, token: str):
    village, refused = village_of(request, token)
    if refused is not None:
        return refused
    return render(request, "front/village_page.html", {
        "village": village, "township": township_of(village), "token": token,
        "points": _notice(village), "projects": _projects(village),
        "questions": list(supervision.question_list_public(village)[:QUESTIONS_SHOWN]),
        "sections": _sections(request, village),
    })
