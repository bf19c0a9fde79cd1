"""Walk the site as a signed-in user would: every link reachable from the home page, breadth-first.

GET only. Links are ``<a href>``, htmx's ``hx-get``, the URL a GET form submits with its default
values, and the target of every POST form (fetched with GET, which must answer 405 or a redirect,
never a server error). URLs are grouped by *shape* (numbers in the path become ``{n}``, the query
keeps only its parameter names) and at most ``per_shape`` URLs of each shape are opened, so a
county of 20,000 cases costs as much as a street of 200. One path answers to many query shapes (the
command centre links every figure to its case list with its own filters, and each list to its export
and print): at most ``per_path`` URLs of one path are opened, whatever their queries.

Used by the test suite on the demo county (``xiangzhi/demo/tests/test_demo_pages.py``) and by
``xiangzhi crawl`` against any database, e.g. after an upgrade. A page must answer within a second;
a download (an export) is timed and reported on its own.
"""

import re
import time
from collections import deque
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

# Not pages: files, and the door out (logout is POST-only anyway).
SKIP_PREFIXES = ("/static/", "/media/", "/accounts/logout/", "/api/v1/docs", "/api/v1/openapi.json")
ADMIN_PREFIX = "/admin/"
# A request slower than this is timed once more before it counts as slow: the first request of a
# shape also compiles its templates and warms the database's caches.
SLOW_SECONDS = 1.0


@dataclass
class Page:
    url: str
    status: int
    seconds: float
    content_type: str
    found_on: str
    via: str  # link, htmx, get-form, post-form, menu, extra, redirect
    location: str | None = None  # where a redirect points, when it stays on the site
    is_download: bool = False  # a file handed over as an attachment (an export, a template)

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")


@dataclass
class CrawlReport:
    label: str
    pages: list[Page] = field(default_factory=list)
    menu: list[str] = field(default_factory=list)

    @property
    def shapes(self) -> set[str]:
        return {shape_of(p.url) for p in self.pages}

    def server_errors(self) -> list[Page]:
        return [p for p in self.pages if p.status >= 500]

    def slow(self, limit: float = SLOW_SECONDS) -> list[Page]:
        """Pages (not downloads) slower than ``limit``."""
        return [p for p in self.pages if p.seconds > limit and not p.is_download]

    def downloads(self) -> list[Page]:
        return [p for p in self.pages if p.is_download]

    def menu_failures(self) -> list[Page]:
        """Menu entries that do not end on a 200 page (a redirect, e.g. 区域与网格 to one's own
        village, is followed)."""
        by_url = {p.url: p for p in self.pages}
        failures = []
        for url in self.menu:
            page = by_url[url]
            for _ in range(5):
                if page.location is None or page.location not in by_url:
                    break
                page = by_url[page.location]
            if page.status != 200:
                failures.append(by_url[url])
        return failures


def shape_of(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"\d+", "{n}", parts.path)
    if path.startswith(ADMIN_PREFIX):
        # Django's admin: its sort, filter and search links are one generic changelist; one shape a screen.
        return path
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


class _Links(HTMLParser):
    """Links, htmx GETs, forms and the menu's links out of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (url, via)
        self.menu: list[str] = []
        self._nav_depth = 0
        self._form: dict | None = None
        self._select: tuple[str, list] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "nav":
            self._nav_depth += 1
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], "link"))
            if self._nav_depth and a["href"] not in ("#", ""):
                self.menu.append(a["href"])
        if a.get("hx-get"):
            self.links.append((a["hx-get"], "htmx"))
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": []}
        elif self._form is not None:
            name = a.get("name")
            if tag == "input" and name:
                kind = a.get("type", "text").lower()
                if kind in ("submit", "button", "file", "image", "reset"):
                    return
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                self._form["fields"].append((name, a.get("value", "")))
            elif tag == "select" and name:
                self._select = (name, [])
            elif tag == "option" and self._select is not None:
                self._select[1].append((a.get("value", ""), "selected" in a))
            elif tag == "textarea" and name:
                self._form["fields"].append((name, ""))

    def handle_endtag(self, tag):
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = next((v for v, selected in options if selected), options[0][0] if options else "")
            self._form["fields"].append((name, chosen))
            self._select = None
        elif tag == "form" and self._form is not None:
            form, self._form = self._form, None
            if form["method"] == "get":
                query = urlencode([(k, v) for k, v in form["fields"]])
                self.links.append((form["action"] + ("?" + query if query else ""), "get-form"))
            elif form["action"]:
                self.links.append((form["action"], "post-form"))


def _local(url: str, base: str) -> str | None:
    url = unescape(url.strip())
    if not url or url.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    absolute = urljoin(base, url)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(base).netloc:
        return None
    if parts.path.startswith(SKIP_PREFIXES):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def crawl(client, *, label: str = "", start: str = "/", extra: tuple[str, ...] = (), per_shape: int = 2,
          per_path: int = 6, admin_per_shape: int = 1, max_pages: int = 600, host: str = "testserver"
          ) -> CrawlReport:
    """Breadth-first from ``start`` with a logged-in Django test ``client``. ``extra`` URLs (pages
    only a form or a search reaches, or old records a sample might miss) are always opened."""
    report = CrawlReport(label=label)
    base = f"http://{host}/"
    seen_urls: set[str] = set()
    per_shape_count: dict[str, int] = {}
    per_path_count: dict[str, int] = {}
    queue: deque[tuple[str, str, str]] = deque([(start, "", "start")])
    queue.extend((u, "", "extra") for u in extra)
    first = True
    while queue and len(report.pages) < max_pages:
        url, found_on, via = queue.popleft()
        if url in seen_urls:
            continue
        shape = shape_of(url)
        limit = admin_per_shape if shape.startswith(ADMIN_PREFIX) else per_shape
        path = shape.split("?", 1)[0]
        if via not in ("extra", "menu", "redirect") and (
                per_shape_count.get(shape, 0) >= limit or per_path_count.get(path, 0) >= per_path):
            continue
        seen_urls.add(url)
        per_shape_count[shape] = per_shape_count.get(shape, 0) + 1
        per_path_count[path] = per_path_count.get(path, 0) + 1
        headers = {"HX-Request": "true"} if via == "htmx" else {}
        response, seconds = _timed_get(client, url, headers)
        if seconds > SLOW_SECONDS:
            response, seconds = _timed_get(client, url, headers)
        content_type = response.get("Content-Type", "")
        location = _local(response["Location"], urljoin(base, url)) if response.has_header("Location") else None
        is_download = response.get("Content-Disposition", "").startswith("attachment")
        report.pages.append(Page(url, response.status_code, seconds, content_type, found_on, via, location,
                                 is_download))
        if location is not None and 300 <= response.status_code < 400:
            # A menu entry's or a chosen record's redirect is followed whatever the sample holds.
            queue.appendleft((location, url, "redirect" if via in ("menu", "extra", "redirect") else "link"))
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(response.content.decode("utf-8", errors="replace"))
        page_base = urljoin(base, url)
        if first:
            report.menu = list(dict.fromkeys(m for m in (_local(h, page_base) for h in parser.menu) if m))
            queue.extendleft((m, url, "menu") for m in reversed(report.menu))
            first = False
        for href, link_via in parser.links:
            target = _local(href, page_base)
            if target is not None and target not in seen_urls:
                queue.append((target, url, link_via))
    return report


def _timed_get(client, url: str, headers: dict):
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # a file is read to its end, as a browser would
    return response, time.perf_counter() - started
