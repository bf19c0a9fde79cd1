"""``xiangzhi points_verify [--village CODE]``: walk every village's hash chains."""

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.points.models import PointsChainHead, PointsEntry
from xiangzhi.points.selectors import ledger_verify
from xiangzhi.regions.models import Region


class Command(BaseCommand):
    help = "校验各村积分台账的哈希链：发现被改动、删除或插入的记录时，指出第一条"

    def add_arguments(self, parser):
        parser.add_argument("--village", help="只校验该村（区划代码）")

    def handle(self, *args, village=None, **options):
        if village:
            villages = list(Region.objects.filter(code=village))
            if not villages:
                raise CommandError(f"没有区划代码为 {village} 的村/社区")
        else:
            # Every village with a chain head or any entry: a head deleted behind our back still shows.
            ids = set(PointsChainHead.objects.values_list("village_id", flat=True))
            ids |= set(PointsEntry.objects.values_list("village_id", flat=True).distinct())
            villages = list(Region.objects.filter(pk__in=ids).order_by("code"))
        broken = 0
        for v in villages:
            found = ledger_verify(v)
            if found is not None:
                broken += 1
                self.stdout.write(self.style.ERROR(f"{v.name}（{v.code}）：{found.message}"))
        if broken:
            raise CommandError(f"{broken} 个村的积分台账哈希链不完整")
        self.stdout.write(self.style.SUCCESS(f"已校验 {len(villages)} 个村的积分台账，哈希链完整"))
