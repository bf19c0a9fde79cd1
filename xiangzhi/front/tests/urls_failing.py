"""The real URLs plus two that fail on purpose: a page and an API route that raise."""

from django.urls import path

from xiangzhi.urls import urlpatterns as real_urlpatterns


def page_that_fails(request):
    raise RuntimeError("broken page")


def api_that_fails(request):
    raise RuntimeError("broken endpoint")


urlpatterns = [
    path("boom/", page_that_fails),
    path("api/v1/boom", api_that_fails),
    *real_urlpatterns,
]
handler400 = "xiangzhi.front.errors.bad_request"
handler403 = "xiangzhi.front.errors.permission_denied"
handler404 = "xiangzhi.front.errors.page_not_found"
handler500 = "xiangzhi.front.errors.server_error"
