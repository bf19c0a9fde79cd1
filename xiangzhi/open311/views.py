"""GeoReport v2 endpoints. Thin: parse (protocol), read (selectors) or write (services), render (formats)."""

from functools import wraps

from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from xiangzhi.cases.errors import CaseError
from xiangzhi.core.errors import IdempotencyConflict
from xiangzhi.open311 import protocol, selectors, services
from xiangzhi.open311.formats import render, render_error
from xiangzhi.open311.services import Open311Error


def open311_endpoint(view):
    """Errors in the spec's shape (``[{"code", "description"}]`` / ``<errors>``), in the URL's format.
    CSRF does not apply: these are for non-browser clients and carry no session."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, fmt: str, **kwargs):
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return render_error(fmt, exc.status, exc.description)
        except IdempotencyConflict as exc:
            return render_error(fmt, 409, str(exc))
        except CaseError as exc:
            return render_error(fmt, 400, str(exc))

    return wrapper


def _client(key: str | None):
    """No key: the public view. A key that is wrong or switched off: 403, never a silent downgrade."""
    if key is None:
        return None
    client = selectors.client_get_for_key(key)
    if client is None:
        raise Open311Error(403, "api_key 无效或已停用")
    return client


@open311_endpoint
@require_GET
def discovery(request, fmt):
    return render(fmt, "discovery", protocol.discovery(request))


@open311_endpoint
@require_GET
def service_list(request, fmt):
    return render(fmt, "services", [protocol.service(c) for c in selectors.service_list()])


@open311_endpoint
@require_GET
def service_definition(request, service_code, fmt):
    category = selectors.service_get(service_code)
    if category is None:
        return render_error(fmt, 404, f"没有这个服务代码：{service_code}")
    return render(fmt, "service_definition", protocol.service_definition(category))


@open311_endpoint
@require_http_methods(["GET", "POST"])
def requests(request, fmt):
    if request.method == "POST":
        return _request_create(request, fmt)
    client = _client(request.GET.get("api_key") or None)
    filters = protocol.list_filters(request.GET, now=timezone.now())
    cases = selectors.request_list_for_client(client, **filters)
    return render(fmt, "service_requests", [protocol.service_request(c, request) for c in cases])


def _request_create(request, fmt):
    body = protocol.post_body(request)
    key = body.get("api_key") or request.GET.get("api_key")
    if not key:
        raise Open311Error(403, "缺少 api_key：提交事件需要接口密钥")
    client = _client(str(key))
    idempotency_key = request.headers.get("Idempotency-Key") or None
    if idempotency_key and len(idempotency_key) > 100:
        raise Open311Error(400, "Idempotency-Key 不能超过 100 个字符")
    result = services.open311_request_create(client=client, data=protocol.request_input(body),
                                             idempotency_key=idempotency_key)
    answer = [{"service_request_id": result.case.number, "service_notice": protocol.notice(result.case),
               "account_id": None}]
    return render(fmt, "service_requests", answer, status=201 if result.created else 200)


@open311_endpoint
@require_GET
def request_detail(request, service_request_id, fmt):
    case = selectors.request_get_for_client(_client(request.GET.get("api_key") or None), service_request_id)
    if case is None:
        return render_error(fmt, 404, f"没有这个事件，或它不公开：{service_request_id}")
    return render(fmt, "service_requests", [protocol.service_request(case, request)])


@open311_endpoint
@require_GET
def token(request, token_id, fmt):
    """We file synchronously and answer with the id at once; a token is the case number, kept for
    clients written for servers that answer with a token first."""
    case = selectors.token_get_for_client(_client(request.GET.get("api_key") or None), token_id)
    if case is None:
        return render_error(fmt, 404, f"没有这个 token：{token_id}")
    return render(fmt, "service_requests", [{"service_request_id": case.number, "token": case.number}])
