"""Pages shown inside a sheet of another of our pages (the running patrol opens the report and visit
forms that way, so its track recorder goes on).

A request is *embedded* when it asks with ``?embed=1`` or the browser says it loads a frame of our own
origin (``Sec-Fetch-Dest: iframe`` and ``Sec-Fetch-Site: same-origin``). An embedded page leaves out
the site's menu (``request.embedded`` in ``base.html``), may be framed by our own pages only
(``frame-ancestors 'self'``; every other page keeps ``'none'``), and a redirect it answers keeps
``embed=1``, so the page after a form stays in the sheet.
"""

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http.response import HttpResponseRedirectBase
from django.utils.http import url_has_allowed_host_and_scheme

PARAM = "embed"


def is_embedded(request) -> bool:
    if request.GET.get(PARAM) == "1":
        return True
    headers = request.headers
    return headers.get("Sec-Fetch-Dest") == "iframe" and headers.get("Sec-Fetch-Site") == "same-origin"


def with_embed(url: str) -> str:
    parts = urlsplit(url)
    if f"{PARAM}=1" in parts.query.split("&"):
        return url
    query = f"{parts.query}&{urlencode({PARAM: 1})}" if parts.query else urlencode({PARAM: 1})
    return urlunsplit(parts._replace(query=query))


class EmbedMiddleware:
    """Placed after ``XFrameOptionsMiddleware`` and ``CSPMiddleware`` so that their answers, set later
    on the way out, respect the framing allowed here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.embedded = is_embedded(request)
        response = self.get_response(request)
        if not request.embedded:
            return response
        response["X-Frame-Options"] = "SAMEORIGIN"  # the clickjacking middleware leaves a set header alone
        response._csp_replace = {**(getattr(response, "_csp_replace", None) or {}), "frame-ancestors": ["'self'"]}
        if isinstance(response, HttpResponseRedirectBase) and url_has_allowed_host_and_scheme(
            response["Location"], allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            response["Location"] = with_embed(response["Location"])
        return response
