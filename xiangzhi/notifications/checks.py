"""A mistyped channel or a gateway without its address fails at start-up, not at the first message."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from xiangzhi.notifications.channels import Channel


@register()
def notify_channels_check(app_configs, **kwargs) -> list[Error]:
    errors = []
    for path in settings.NOTIFY_CHANNELS:
        try:
            channel_class = import_string(path)
        except ImportError:
            errors.append(Error(f"NOTIFY_CHANNELS：无法导入 {path}", id="notifications.E001"))
            continue
        if not (isinstance(channel_class, type) and issubclass(channel_class, Channel)):
            errors.append(Error(f"NOTIFY_CHANNELS：{path} 不是消息渠道（Channel 的子类）", id="notifications.E002"))
            continue
        errors.extend(
            Error(f"消息渠道 {path} 需要设置 {name}", id="notifications.E003")
            for name in channel_class.required_settings
            if not getattr(settings, name, "")
        )
    return errors
