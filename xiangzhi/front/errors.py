"""The site's own error pages (400, 403, 404, 500) in Chinese, with a way back.

Requests under ``/api/`` and ``/open311/`` get the API's structured error instead of a page. A
server error gets a short reference, shown to the user and written into the log line beside the
request and the user (``xiangzhi.system.log.RequestContextFilter``), so a report from the field
can be matched to its traceback.
"""

import secrets

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

PAGES: dict[int | str, tuple[str, str]] = {
    400: ("请求有误", "这个请求的内容不完整或格式不对，请返回后重试。"),
    403: ("无权访问", "您的账号没有进行此操作的权限。如需开通，请联系上级管理员。"),
    404: ("页面不存在", "您要找的内容不存在，或不在您的管辖范围内。"),
    # Django's CSRF check failed: almost always a form left open past its session, or opened before
    # logging in again. Said as such, with the way back to the form (which issues a fresh token).
    "csrf": ("页面已过期", "这个页面打开的时间太久，或您已在别处重新登录，提交没有生效。"
                      "请返回上一页，刷新后再提交一次；已填写的内容需要重新填写。"),
    500: ("服务器出错了",
          "系统处理这个请求时出错，已自动记录。请稍后再试；如果一直出现，请把下面的错误编号告诉管理员。"),
}
API_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}
API_PREFIXES = ("/api/", "/open311/")


def error_reference(request) -> str:
    """One reference per failed request: the page shows it and the log line carries it."""
    ref = getattr(request, "error_ref", None)
    if ref is None:
        ref = secrets.token_hex(4).upper()
        request.error_ref = ref
    return ref


def _back_url(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return "/"


def _respond(request, status: int, detail: str | None = None, page: int | str | None = None) -> HttpResponse:
    title, text = PAGES[status if page is None else page]
    text = detail or text
    ref = error_reference(request) if status == 500 else None
    if request.path.startswith(API_PREFIXES):
        body = {"error": {"code": API_CODES[status], "message": title if status != 404 else "不存在或无权查看"}}
        if ref:
            body["error"]["reference"] = ref
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    context = {"status": status, "title": title, "text": text, "reference": ref, "back_url": _back_url(request)}
    if status == 500:
        # Standalone: no menu, no database, no static-file lookups; the failure may be any of them.
        return HttpResponse(_bare_page(context), status=500)
    try:
        return HttpResponse(loader.render_to_string("front/error.html", context, request), status=status)
    except Exception:  # the shell itself failed (its menu reads the database): fall back to the bare page
        return HttpResponse(_bare_page(context), status=status)


def _bare_page(context: dict) -> str:
    try:
        return loader.render_to_string("500.html", context)
    except Exception:  # even the template failed: the words alone, still in Chinese
        return (f"<!doctype html><meta charset=utf-8><title>{context['title']}</title>"
                f"<h1>{context['title']}</h1><p>{context['text']}</p>"
                f"<p>错误编号：{context.get('reference') or ''}</p><p><a href=/>回到首页</a></p>")


def bad_request(request, exception=None):
    # A refusal a page let through (``core.http.DomainErrorMiddleware``) shows its own words.
    refusal = getattr(exception, "domain_error", None)
    return _respond(request, 400, str(refusal) if refusal is not None else None)


def permission_denied(request, exception=None):
    # A rule's refusal (``core.http.DomainErrorMiddleware``) says why; Django's own stay generic.
    refusal = getattr(exception, "domain_error", None)
    said = str(refusal) if refusal is not None and str(refusal) != refusal.default_message else None
    return _respond(request, 403, said)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the refused form in the site's own words and layout, not Django's English page."""
    return _respond(request, 403, page="csrf")


def page_not_found(request, exception=None):
    return _respond(request, 404)


def server_error(request):
    return _respond(request, 500)
