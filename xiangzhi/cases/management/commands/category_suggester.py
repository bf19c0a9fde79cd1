"""``xiangzhi category_suggester``: train the category suggester again now, on the shipped examples and
every case a dispatcher confirmed or corrected (the worker does it nightly)."""

from django.core.management.base import BaseCommand

from xiangzhi.cases.suggestions import category_suggester_refresh


class Command(BaseCommand):
    help = "按本县确认或更正过类别的事件重新训练分类建议（后台每晚自动进行）"

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(category_suggester_refresh()))
