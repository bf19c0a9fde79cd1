"""``xiangzhi points_check``: every household's kept balance against the sum of its ledger."""

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.points.models import PointsBalance
from xiangzhi.points.selectors import balance_mismatch_list

FIELD_NAMES = {"approved_total": "积分", "pending_total": "待审核", "earned_total": "累计获得"}
SHOWN = 50


class Command(BaseCommand):
    help = "核对每户的积分余额与台账合计是否一致"

    def handle(self, *args, **options):
        mismatches = balance_mismatch_list()
        for m in mismatches[:SHOWN]:
            self.stdout.write(self.style.ERROR(
                f"户 {m.household_id}：{FIELD_NAMES[m.field]} 记为 {m.stored}，台账合计 {m.ledger}"))
        if mismatches:
            more = f"（只列出前 {SHOWN} 处）" if len(mismatches) > SHOWN else ""
            raise CommandError(f"{len(mismatches)} 处余额与台账不一致{more}")
        self.stdout.write(self.style.SUCCESS(
            f"已核对 {PointsBalance.objects.count()} 户的积分余额，与台账合计一致"))
