"""The JSON API under /api/v1/: bearer tokens or the browser session, structured errors in Chinese."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from xiangzhi.accounts.api import router as accounts_router
from xiangzhi.accounts.models import ApiToken
from xiangzhi.activities.api import router as activities_router
from xiangzhi.assessment.api import router as assessment_router
from xiangzhi.cases.api import router as cases_router
from xiangzhi.cases.intake_api import router as intake_router
from xiangzhi.centre.figures_api import router as figures_router
from xiangzhi.centre.queue_api import router as queue_router
from xiangzhi.core.errors import DomainError, error_body, status_of
from xiangzhi.devices.api import router as devices_router
from xiangzhi.disclosure.api import router as disclosure_router
from xiangzhi.duties.api import router as duties_router
from xiangzhi.gridwork.api import router as gridwork_router
from xiangzhi.inspections.api import router as inspections_router
from xiangzhi.lib.geometry import BoundaryError
from xiangzhi.lib.idnumber import IdNumberError
from xiangzhi.meetings.api import router as meetings_router
from xiangzhi.notifications.api import router as notifications_router
from xiangzhi.participation.api import router as participation_router
from xiangzhi.party.api import router as party_router
from xiangzhi.people.api import router as people_router
from xiangzhi.people.place_api import router as places_router
from xiangzhi.points.api import router as points_router
from xiangzhi.points.benefit_api import router as points_benefit_router
from xiangzhi.points.cycle_api import router as points_cycle_router
from xiangzhi.projects.api import router as projects_router
from xiangzhi.regions.api import router as regions_router
from xiangzhi.shop.api import router as shop_router
from xiangzhi.supervision.api import router as supervision_router


class PasswordChangeRequired(HttpError):
    code = "password_change_required"

    def __init__(self):
        super().__init__(403, "管理员已重置您的密码，请先在网页“我的账号”中设置新密码")


class BearerToken(HttpBearer):
    """A token that is known, not revoked, not expired, of an active account. An account whose password
    was reset by an administrator can only log out until it sets a new password."""

    def authenticate(self, request, token: str):
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True, expires_at__gt=now,
                    user__is_active=True)
            .first()
        )
        if row is None:
            return None
        if row.user.must_change_password and not request.path.endswith("/auth/logout"):
            raise PasswordChangeRequired
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row
        return row.user


api = NinjaAPI(
    title="乡治 xiangzhi API",
    version="1",
    description="网格化 + 积分制 乡村治理平台接口。认证：`POST /api/v1/auth/token` 取得令牌，"
    "之后在请求头 `Authorization: Bearer <token>` 中携带。",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    # Swagger UI from our own static files ("ninja" in INSTALLED_APPS), without the online validator
    # badge it would otherwise load from validator.swagger.io; off entirely with API_DOCS=0.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs" if settings.API_DOCS else None,
)


def error_response(request, status: int, code: str, message: str, fields=None):
    return api.create_response(request, error_body(code, message, fields), status=status)


_MESSAGES = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "enum": "不是可选的值",
    "json_invalid": "不是有效的 JSON",
}


def _message(error: dict) -> str:
    return _MESSAGES.get(error.get("type", ""), error.get("msg", "格式不正确"))


@api.exception_handler(NinjaValidationError)
def _validation(request, exc):
    fields = [
        {"field": str(e["loc"][-1]) if e.get("loc") else None, "message": _message(e)}
        for e in exc.errors
    ]
    return error_response(request, 422, "invalid", "请求参数不正确", fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, "unauthenticated", "请先登录或提供有效的令牌")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", "不存在或无权查看")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error_response(request, 403, "forbidden", str(exc) or "无权进行此操作")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return error_response(request, exc.status_code, getattr(exc, "code", "error"), str(exc))


@api.exception_handler(DomainError)
def _domain_error(request, exc):
    """Every app's refusals: the status follows from what the error is (``core.errors.status_of``)."""
    return error_response(request, status_of(exc), exc.code, str(exc), exc.fields)


@api.exception_handler(IdNumberError)
@api.exception_handler(BoundaryError)
def _invalid_input(request, exc):
    return error_response(request, 422, "invalid", str(exc))


api.add_router("/auth", accounts_router)
api.add_router("", regions_router)
api.add_router("", people_router)
api.add_router("", places_router)
api.add_router("/work", gridwork_router)
api.add_router("/party", party_router)
api.add_router("/inspections", inspections_router)
api.add_router("", intake_router)  # before the cases router: /cases/hotline-import
api.add_router("", figures_router)  # before the cases router: /cases/figures
api.add_router("", queue_router)  # /centre/cases: the dispatch queue
api.add_router("", cases_router)
api.add_router("/points", points_router)
api.add_router("/activities", activities_router)
api.add_router("/projects", projects_router)
api.add_router("/duties", duties_router)
api.add_router("/assessment", assessment_router)
api.add_router("/disclosure", disclosure_router)
api.add_router("/participation", participation_router)
api.add_router("/meetings", meetings_router)
api.add_router("/points", points_cycle_router)
api.add_router("/points", points_benefit_router)
api.add_router("/shop", shop_router)
api.add_router("/supervision", supervision_router)
api.add_router("/notifications", notifications_router)
api.add_router("/webhooks", devices_router)
