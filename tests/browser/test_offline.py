"""Without signal, in Chromium at phone size: the report form opens from the phone, a report with a
photo waits in the phone's send queue, and arrives once when the network comes back; a send whose
answer was lost and is sent again still makes one case; a report the server refuses stays on the
phone with the server's reason; logging out leaves no page and no record on the phone, not even a page
the service worker was still fetching for the user when he logged out."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PHONE, log_in
from xiangzhi.cases.models import Case

pytestmark = pytest.mark.browser

SAVED = "已保存在手机上，有信号时自动发送"
WITH_WORKER = {**PHONE, "service_workers": "allow"}  # the other browser tests block them


def _eventually(page, script: str, timeout: float = 10.0) -> None:
    """Wait until an async page function answers true (``wait_for_function`` does not await one)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        time.sleep(0.2)


def _kept(url: str) -> str:
    return f"async () => !!(await (await caches.open('xz-pages')).match({url}))"


def _controlled(page) -> None:
    """The service worker controls the page, and the page itself is kept for use offline."""
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")  # installed, shell kept
    page.reload()  # a page loaded after that is the worker's
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    _eventually(page, _kept("location.href"))


def _log_out(page, base: str) -> None:
    """The 退出 button in the navbar (behind the menu button at phone size)."""
    logout = page.locator("form[action='/accounts/logout/'] button")
    if not logout.is_visible():
        page.locator(".navbar-toggler").click()
        # The menu slides open (Bootstrap's .collapsing) and only then is .show; a click during the
        # slide can land on the moving menu instead of the button, and then nothing is submitted.
        expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    logout.click()
    page.wait_for_url(f"{base}/accounts/login/")


def _fill_report(page, photo, text: str) -> None:
    """What a resident must give: a photo, the place (found by the phone), a few words."""
    expect(page.locator("#pick-where")).to_contain_text("东村")
    page.set_input_files("#photos", str(photo))
    if page.locator("#description").is_hidden():
        page.locator("summary", has_text="补充说明").click()
    page.fill("#description", text)
    category = page.locator("#category")
    if category.get_attribute("required") is not None:
        category.select_option("road_light")


def _queue(page) -> list[dict]:
    return page.evaluate("async () => (await XZQueue.list()).map(i => ({id: i.id, status: i.status,"
                         " message: i.message, fields: i.fields.map(f => [f[0], typeof f[1] === 'string'"
                         " ? f[1] : 'file:' + f[1].size])}))")


def test_a_report_made_without_signal_waits_in_the_phone_and_arrives_once(browser, live_server, small_county,
                                                                          photo, artifacts):
    base = live_server.url  # 127.0.0.1 is a secure context: service workers run over plain HTTP there
    villager = small_county.users["resident"]
    context = browser.new_context(**WITH_WORKER, geolocation={"latitude": 37.705, "longitude": 118.005, "accuracy": 8},
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        log_in(page, base, "villager")
        page.goto(f"{base}/cases/new/")
        _controlled(page)
        # The day's other pages were kept too when linked (the home page, just visited).
        _eventually(page, _kept("location.origin + '/'"))

        # No signal: the report is kept in the phone, photo and all.
        context.set_offline(True)
        _fill_report(page, photo, "东村一组路口的路灯连续三晚不亮")
        page.locator("#case-submit").click()
        expect(page.get_by_test_id("offline-notice")).to_contain_text(SAVED)
        expect(page.get_by_test_id("outbox").locator("summary")).to_have_text("待发送 1 条")
        expect(page.get_by_test_id("offline-banner")).to_contain_text("离线")
        (item,) = _queue(page)
        assert ["description", "东村一组路口的路灯连续三晚不亮"] in item["fields"]
        assert any(name == "photos" and value.startswith("file:") and value != "file:0"
                   for name, value in item["fields"])
        assert dict(item["fields"])["lon"] == "118.005000"
        page.screenshot(path=str(artifacts / "offline-report-saved.png"), full_page=True)
        assert Case.objects.count() == 0

        # Still no signal: the form opens again from the phone, saying so, with the report waiting.
        page.reload()
        expect(page.get_by_test_id("offline-banner")).to_contain_text("这是手机上保存的页面")
        expect(page.get_by_test_id("outbox").locator("summary")).to_have_text("待发送 1 条")
        page.get_by_test_id("outbox").locator("summary").click()
        expect(page.get_by_test_id("outbox-item")).to_contain_text("等待信号")
        new_key = page.locator("input[name=submission_id]").input_value()
        assert new_key != item["id"]  # the kept page's key may be spent: a new report gets its own
        page.screenshot(path=str(artifacts / "offline-report-reopened.png"), full_page=True)

        # Signal again: the queue sends by itself, and the case exists once, with its photo.
        context.set_offline(False)
        expect(page.get_by_test_id("offline-notice")).to_contain_text("已发送 1 条保存在手机上的记录", timeout=15000)
        expect(page.get_by_test_id("outbox")).to_be_hidden()
        (case,) = Case.objects.all()
        assert case.description == "东村一组路口的路灯连续三晚不亮" and case.reporter_id == villager.pk
        assert case.photos.count() == 1
        page.screenshot(path=str(artifacts / "offline-report-sent.png"), full_page=True)

        # The answer to a send is lost (the server got it, the phone did not hear back): the same
        # record, sent again, is answered with the same case.
        context.set_offline(True)
        page.reload()
        _fill_report(page, photo, "村委会门口的井盖丢了")
        page.locator("#case-submit").click()
        expect(page.get_by_test_id("offline-notice")).to_contain_text(SAVED)  # on the form from the phone
        expect(page.get_by_test_id("outbox").locator("summary")).to_have_text("待发送 1 条")
        page.evaluate("async () => { const [i] = await XZQueue.list(); window.lost = i; }")
        context.set_offline(False)
        expect(page.get_by_test_id("outbox")).to_be_hidden(timeout=15000)
        assert Case.objects.filter(description="村委会门口的井盖丢了").count() == 1
        page.evaluate("async () => { const fd = new FormData(); lost.fields.forEach(f => fd.append(f[0], f[1]));"
                      " await XZQueue.add(lost.url, fd, {owner: lost.owner, label: lost.label});"
                      " await XZQueue.flush({owner: lost.owner, login: '/accounts/login/'}); }")
        assert _queue(page) == []
        assert Case.objects.filter(description="村委会门口的井盖丢了").count() == 1
        assert Case.objects.count() == 2

        # A record the server refuses (a "photo" that is no picture) stays, with the server's reason.
        context.set_offline(True)
        page.reload()
        bad = photo.with_name("not-a-photo.jpg")
        bad.write_bytes(b"this is no picture")
        _fill_report(page, bad, "照片坏了的一条")
        page.locator("#case-submit").click()
        expect(page.get_by_test_id("offline-notice")).to_contain_text(SAVED)  # on the form from the phone
        expect(page.get_by_test_id("outbox").locator("summary")).to_have_text("待发送 1 条")
        context.set_offline(False)
        outbox = page.get_by_test_id("outbox")
        expect(outbox.locator("summary")).to_have_text("待发送 1 条（1 条未被接受）", timeout=15000)
        expect(page.get_by_test_id("outbox-item")).to_contain_text("服务器未接受：第 1 张照片")
        page.screenshot(path=str(artifacts / "offline-report-refused.png"), full_page=True)
        assert Case.objects.count() == 2

        # Logging out (after saying yes to losing the refused record) leaves nothing on the phone.
        page.once("dialog", lambda dialog: dialog.accept())
        page.goto(f"{base}/")
        _log_out(page, base)
        assert page.evaluate("async () => (await caches.keys()).filter(k => k === 'xz-pages').length") == 0
        assert _queue(page) == []
    finally:
        context.close()


def test_a_send_whose_answer_is_lost_is_kept_and_sent_again_making_one_case(browser, live_server, small_county,
                                                                             photo, artifacts):
    """The network drops after the server took the report: the phone keeps it (the service worker
    catches the failed send), sends it again, and the server answers with the case it already made."""
    base = live_server.url
    context = browser.new_context(**WITH_WORKER, geolocation={"latitude": 37.705, "longitude": 118.005, "accuracy": 8},
                                  permissions=["geolocation"])
    page = context.new_page()
    posts = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.url)
        if len(posts) == 1:
            route.fetch()  # the server gets it and makes the case ...
            route.abort("internetdisconnected")  # ... and the phone never hears back
        else:
            route.continue_()

    try:
        log_in(page, base, "villager")
        page.goto(f"{base}/cases/new/")
        _controlled(page)
        context.route("**/cases/new/", lose_the_first_answer)
        _fill_report(page, photo, "桥头的护栏断了")
        page.locator("#case-submit").click()
        expect(page.get_by_test_id("offline-notice")).to_contain_text(SAVED)
        assert Case.objects.filter(description="桥头的护栏断了").count() == 1
        # Back on a page with signal, the kept report goes again and comes back as the same case.
        expect(page.get_by_test_id("offline-notice")).to_contain_text("已发送 1 条保存在手机上的记录", timeout=15000)
        expect(page.get_by_test_id("outbox")).to_be_hidden()
        page.screenshot(path=str(artifacts / "offline-report-resent.png"), full_page=True)
        assert len(posts) == 2
        assert Case.objects.filter(description="桥头的护栏断了").count() == 1
    finally:
        context.close()


def test_a_page_still_on_its_way_when_its_user_logs_out_is_not_kept(browser, live_server, small_county):
    """The day page has the service worker keep the visit forms it links to. On a slow network one of
    them (answered while the grid worker was logged in: his key person is on it) reaches the phone only
    after he has logged out: the phone keeps neither it nor any page."""
    from xiangzhi.gridwork.tests.helpers import key_person

    base = live_server.url
    person = key_person(small_county.households["a1"])  # overdue: the day page links to his visit form
    form_url, list_url = f"{base}/work/visits/new/{person.pk}/", f"{base}/work/visits/"
    held = []  # (route, the server's answer): the answers still on their way to the phone
    slow = {"network": True}

    def slow_network(route):
        if not slow["network"]:
            route.continue_()
            return
        held.append((route, route.fetch()))  # the server answers now, while he is logged in

    def arrive(url=None) -> None:
        for route, answer in [h for h in held if url is None or h[0].request.url == url]:
            held.remove((route, answer))
            route.fulfill(response=answer)

    context = browser.new_context(**WITH_WORKER)
    page = context.new_page()
    context.route(re.compile(r".*/work/visits/(new/\d+/)?$"), slow_network)
    try:
        log_in(page, base, "worker_a1")
        assert page.url == f"{base}/work/"
        _controlled(page)
        deadline = time.monotonic() + 10
        while {route.request.url for route, _ in held} != {form_url, list_url}:
            assert time.monotonic() < deadline, f"the worker fetched only {[r.request.url for r, _ in held]}"
            page.wait_for_timeout(100)  # lets the route handler run
        assert page.evaluate(f"async () => !(await caches.match({form_url!r}))")

        # An answer that arrives while he is logged in is kept, as always.
        arrive(list_url)
        _eventually(page, _kept(repr(list_url)))

        _log_out(page, base)
        assert page.evaluate("async () => !(await caches.has('xz-pages'))")

        # The visit form's answer arrives now: the phone keeps nothing.
        slow["network"] = False
        arrive()
        for _ in range(15):
            page.wait_for_timeout(200)
            assert page.evaluate(f"async () => !(await caches.has('xz-pages')) && !(await caches.match({form_url!r}))")
    finally:
        context.close()
