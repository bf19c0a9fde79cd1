"""``xiangzhi open311_key --name NAME --region CODE``: issue an Open311 client key, shown once."""

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.open311.services import Open311Error, open311_client_create
from xiangzhi.regions.models import Region


class Command(BaseCommand):
    help = "创建 Open311 接口客户端并显示其 API 密钥（只显示这一次）"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="客户端名称，如“12345热线平台”")
        parser.add_argument("--region", required=True, help="服务区域的区划代码：客户端只能为该区域上报、读取事件")

    def handle(self, *args, name, region, **options):
        node = Region.objects.filter(code=region).first()
        if node is None:
            raise CommandError(f"没有区划代码为 {region} 的行政区域")
        try:
            client, key = open311_client_create(name=name, region=node)
        except Open311Error as exc:
            raise CommandError(exc.description) from None
        self.stdout.write(f"已创建 Open311 客户端 #{client.pk}“{client.name}”，服务区域：{node.name}（{node.code}）")
        self.stdout.write("API 密钥只显示这一次，请妥善转交（平台只保存其 SHA-256 摘要）：")
        self.stdout.write(key)
