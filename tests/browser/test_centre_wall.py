"""The wall screen on a 1920×1080 screen for an hour of Playwright's clock: it fetches its figures every
minute (about sixty times) and swaps them in without reloading, with no console error; a new case
shows on the next fetch; when the network is cut it keeps the figures and says 「网络中断 · 最后更新
…」 until the network comes back; its labels and figures never overlap or overflow."""

import time

import pytest
from django.core.cache import cache

from tests.browser.helpers import log_in
from tests.factories import RegionFactory
from xiangzhi.cases.services import case_accept
from xiangzhi.centre.tests.figures_story import IN_A1, IN_A1_MICRO, report

pytestmark = pytest.mark.browser

SCREEN = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN", "service_workers": "block"}
LONG = "沾化区下洼镇东风第一经济合作社区居民委员会"
DATA = "/centre/wall/data/"

# Every text of every chart inside its chart and clear of every other; every figure, name and title
# within its box; nothing scrolls; the title clear of the clock.
LAYOUT = """() => {
  const out = [];
  const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
                      && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const label = t => [...t.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join("");
  let texts = 0;
  document.querySelectorAll("svg.wall-svg").forEach(svg => {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll("text")].map(t => [label(t), t.getBoundingClientRect()]);
    texts += boxes.length;
    boxes.forEach(([t, r]) => {
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        out.push("outside its chart: " + t);
    });
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++)
        if (meet(boxes[i][1], boxes[j][1])) out.push("overlap: " + boxes[i][0] + " / " + boxes[j][0]);
  });
  document.querySelectorAll(".wall-value, .wall-name, .wall-detail, .wall-panel-title, .wall-title").forEach(e => {
    if (e.scrollWidth > e.clientWidth + 1) out.push("overflows: " + e.textContent.trim());
  });
  const small = [...document.querySelectorAll(".wall-value")]
    .filter(e => parseFloat(getComputedStyle(e).fontSize) < 28);
  if (small.length) out.push("figures under 28 px");
  const root = document.documentElement;
  if (root.scrollHeight > innerHeight + 1 || root.scrollWidth > innerWidth + 1) out.push("the screen scrolls");
  const box = s => document.querySelector(s).getBoundingClientRect();
  if (meet(box(".wall-title"), box(".wall-top")))
    out.push("the title meets the clock");
  return {problems: out, texts: texts};
}"""


def _eventually(page, script: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        time.sleep(0.05)


def _figure(page, key: str) -> str:
    return page.locator(f"[data-testid=wall-figure-{key}]").text_content().strip()


def test_the_wall_runs_an_hour_refreshing_itself_and_rides_out_a_network_cut(browser, live_server, small_county,
                                                                            artifacts):
    c = small_county
    RegionFactory(code="371603101003", name=LONG, level="village", parent=c.town_a)
    for code, where in [("road_light", IN_A1_MICRO), ("env_garbage", IN_A1), ("dispute_neighbour", IN_A1)]:
        report(c, code, where)
    late = report(c, "env_garbage", IN_A1, days_ago=30)
    case_accept(case=late, actor=c.users["grid_worker"])  # still open, its deadline long past

    context = browser.new_context(**SCREEN)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if DATA in r.url else None)
    try:
        log_in(page, live_server.url, "town_a")
        page.clock.install()
        page.goto(f"{live_server.url}/centre/wall/")
        navigations: list[str] = []
        page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else None)
        page.evaluate("() => { window.xzMarker = 'still here'; }")
        assert _figure(page, "received") == "4" and _figure(page, "overdue_open") == "1"
        layout = page.evaluate(LAYOUT)
        assert not layout["problems"] and layout["texts"] > 25, layout
        assert page.locator("[data-testid=wall-svg-children] text", has_text="沾化区").count() == 1  # cut, not dropped
        page.screenshot(path=artifacts / "centre-wall.png")
        status = page.get_by_test_id("wall-status")

        for minute in range(1, 61):
            if minute == 20:  # a new report comes in: on screen at the next count
                report(c, "road_light", IN_A1_MICRO)
                cache.clear()  # the server's clock has not moved a minute: forget its count as a minute would
            if minute == 40:  # the network is cut for two fetches
                page.route(f"**{DATA}**", lambda route: route.abort())
            if minute == 42:
                page.unroute(f"**{DATA}**")
            before = _figure(page, "received")
            page.clock.run_for(60_000)
            _eventually(page, f"() => window.xzWall.done >= {minute}")
            if minute == 20:
                assert _figure(page, "received") == "5"
            if minute in (40, 41):
                text = status.text_content()
                assert text.startswith("网络中断 · 最后更新 ") and text[-5:-2].endswith(":"), text
                assert _figure(page, "received") == before == "5"  # the last figures stay
                assert page.locator("svg.wall-svg").count() == 5
            if minute == 42:
                assert status.text_content().startswith("每 60 秒自动更新 · 最后更新 ")
        wall = page.evaluate("() => window.xzWall")
        assert wall["fetches"] == 60 and wall["swaps"] == 58 and wall["failures"] == 2, wall
        assert len(fetched) == 60
        assert page.evaluate("() => window.xzMarker") == "still here" and navigations == []
        assert not errors or all("net::ERR_FAILED" in e for e in errors), errors  # the two cut fetches only
        assert len(errors) <= 2
        assert page.get_by_test_id("wall-clock").text_content() != "--:--:--"
        layout = page.evaluate(LAYOUT)
        assert not layout["problems"], layout
        page.screenshot(path=artifacts / "centre-wall-after-an-hour.png")
    finally:
        context.close()
