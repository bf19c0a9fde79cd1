"""电话回访 in the demo: in every township, its 综治中心 calls the reporters of the cases closed longest ago
that came without an account (12345, Open311, 码上办…) through the real service: two give their rating,
one does not answer; the rest stay on the 群众参与 page's list."""

from dataclasses import dataclass

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.models import Case, Evaluation
from xiangzhi.cases.services import PHONE_UNANSWERED, awaiting_evaluation_q, case_evaluate_by_phone
from xiangzhi.regions.models import Region, RegionLevel

CALLS = [(Evaluation.SATISFIED, "处理很及时，谢谢"), (Evaluation.BASICALLY_SATISFIED, "解决了，就是慢了点"),
         (PHONE_UNANSWERED, "无人接听")]


@dataclass
class PhoneVisitReport:
    rated: int = 0
    unanswered: int = 0


def write_phone_visits() -> PhoneVisitReport:
    report = PhoneVisitReport()
    for town in Region.objects.filter(level=RegionLevel.TOWNSHIP).defer("boundary").order_by("code"):
        staff = User.objects.filter(role=Role.TOWNSHIP_STAFF, region=town, is_active=True).order_by("id").first()
        if staff is None:
            continue
        waiting = (Case.objects.filter(awaiting_evaluation_q(), scope_path__startswith=town.path,
                                       reporter__isnull=True, is_proactive=False)
                   .select_related("category").order_by("closed_at", "id")[:len(CALLS)])
        for case, (evaluation, words) in zip(waiting, CALLS, strict=False):
            case_evaluate_by_phone(case=case, actor=staff, evaluation=evaluation, comment=words)
            if evaluation == PHONE_UNANSWERED:
                report.unanswered += 1
            else:
                report.rated += 1
    return report
