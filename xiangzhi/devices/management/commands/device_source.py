"""Register a device-alarm source (or give it a new secret) and print the secret once."""

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.devices import services
from xiangzhi.devices.models import DeviceSource
from xiangzhi.regions.models import Region


class Command(BaseCommand):
    help = "登记设备告警数据源并显示其签名密钥（只显示这一次）"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="数据源名称（请求体中的 source）")
        parser.add_argument("--region", help="所属区域的区划代码（县、乡镇或村）；登记新数据源时必填")
        parser.add_argument("--rotate", action="store_true", help="为已登记的数据源换发新密钥，旧密钥立即失效")

    def handle(self, *args, name, region, rotate, **options):
        if rotate:
            source = DeviceSource.objects.filter(name=name).first()
            if source is None:
                raise CommandError(f"数据源“{name}”不存在")
            secret = services.device_source_rotate(source=source)
            self.stdout.write(f"已为数据源“{name}”换发密钥，旧密钥已失效。")
        else:
            if not region:
                raise CommandError("请用 --region 指定所属区域的区划代码")
            region_obj = Region.objects.filter(code=region).first()
            if region_obj is None:
                raise CommandError(f"区划代码 {region} 不存在")
            try:
                source, secret = services.device_source_create(name=name, region=region_obj)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"已登记数据源“{source.name}”，所属区域 {region_obj.name}（{region_obj.code}）。")
        self.stdout.write("签名密钥（只显示这一次，请妥善交给设备平台）：")
        self.stdout.write(secret)
        self.stdout.write(f"签名方法：{services.SIGNATURE_HEADER}: "
                          f"sha256=HMAC-SHA256(密钥, {services.TIMESTAMP_HEADER} + \".\" + 请求体)")
