"""An SMS backend that cannot send is named at start-up, not when the first villager asks for a code."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from xiangzhi.core.sms import sms_backend_class, sms_backend_problems


@register()
def sms_backend_check(app_configs, **kwargs) -> list[Warning]:
    return [Warning(problem, id="accounts.W001") for problem in sms_backend_problems()]


@register(Tags.security, deploy=True)
def sms_backend_deploy_check(app_configs, **kwargs) -> list[Warning]:
    """A production check (``check --deploy``): codes that only reach the log leave villagers locked out."""
    if sms_backend_problems() or settings.DEBUG or not sms_backend_class().is_console:
        return []
    return [Warning("短信使用控制台后端：验证码只写进日志，不会发到手机（演示用）",
                    hint="正式使用请设置 SMS_GATEWAY_URL 和 SMS_GATEWAY_SECRET", id="accounts.W002")]
