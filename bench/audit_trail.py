"""审计 at county scale: the audit page over a million events, rendered through Django's test client
(session, middleware, template) for the county admin and for the township with the most events: the
newest page, the next page, and filtered by category, by person, by dates and by text; target p95
≤ 300 ms each. Beside each, in the same run, the plain SQL that reads the same page of rows. Then the
export of the newest 20,000 rows, timed once, and what it leaves in the trail.

Tops the trail up to ~1,000,000 events first (idempotent: rows marked ``bench.audit`` are counted and
only the shortfall is added, spread over two years and every grid of the county, written oldest first as
a real trail is). Every other write (the exports' own events) is rolled back.
"""

import datetime as dt
import random
import time

from bench.common import line, percentile, setup_django, summary_ms

TARGET = 1_000_000
RUNS = 20
MARK = "bench.audit"
SUMMARIES = {
    "reveal": "查看{name}的完整身份证号（事由：核对低保材料）",
    "export": "导出户籍表（{place}）",
    "import": "表格导入户籍：新建 {n} 户、{m} 人",
    "publish": "公示{place}积分（{n} 户）",
    "config": "修改事件类别「{place}」的办理时限",
    "admin": "后台修改网格「{place}」：修改了名称",
    "login_failed": "账号「{name}」登录失败",
}
WEIGHTS = [30, 25, 10, 15, 3, 7, 10]

PAGE_SQL = """
SELECT e.id, e.at, e.actor_name, e.action, e.summary, e.subject, e.scope_path, e.ip
FROM audit_auditevent e
WHERE {scope} {extra}
ORDER BY e.at DESC, e.id DESC
LIMIT 51
"""


def ensure_events() -> str:
    from django.core.management import call_command
    from django.db import connection, transaction

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.audit.models import AuditEvent
    from xiangzhi.regions.models import Grid

    call_command("migrate", "audit", interactive=False, verbosity=0)  # the trail's tables, nobody else's
    have = AuditEvent.objects.filter(subject=MARK).count()
    if have >= TARGET * 0.99:
        return f"{AuditEvent.objects.count():,} events already there"
    rng = random.Random(2028)
    grids = list(Grid.objects.filter(is_active=True).values_list("path", "name"))
    staff = list(User.objects.filter(role__in=[Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.COUNTY_ADMIN])
                 .values_list("id", "full_name", "region__path"))
    by_town: dict[str, list] = {}
    for s in staff:
        by_town.setdefault("/".join((s[2] or "").split("/")[:5]), []).append(s)
    now = dt.datetime.now(dt.UTC)
    span = 730 * 86400
    actions = list(SUMMARIES)
    started = time.perf_counter()
    columns = "at, actor_id, actor_name, action, summary, subject, scope_path, ip, detail"
    marks = ", ".join(["%s"] * 9)
    sql = f"INSERT INTO audit_auditevent ({columns}) VALUES ({marks})"
    todo = TARGET - have
    # A trail is written as things happen: oldest first, so that a month's events lie together on disk.
    ages = sorted((rng.randrange(span) for _ in range(todo)), reverse=True)
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for age in ages:
            path, place = rng.choice(grids)
            action = rng.choices(actions, WEIGHTS)[0]
            people = by_town.get("/".join(path.split("/")[:5])) or staff
            actor_id, name, _ = rng.choice(people)
            if action == "login_failed":
                actor_id = None
            summary = SUMMARIES[action].format(name=name, place=place, n=rng.randrange(1, 300),
                                               m=rng.randrange(1, 900))
            at = now - dt.timedelta(seconds=age)
            batch.append((at, actor_id, name if actor_id else "", action, summary, MARK, path,
                          f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}", "{}"))
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
        cursor.execute("ANALYZE audit_auditevent")
    seconds = time.perf_counter() - started
    return f"added {todo:,} events in {seconds:.0f} s ({todo / seconds:,.0f} rows/s)"


def _prefix_sql(column: str, value: str, key: str) -> tuple[str, dict]:
    """A prefix as the selector asks it: a range on SQLite, a pattern on PostgreSQL."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return (f"{column} >= %({key})s AND {column} < %({key}_high)s",
                {key: value, f"{key}_high": value + "\U0010ffff"})
    return f"{column} LIKE %({key})s", {key: value + "%"}


def _person(label: str, name: str) -> tuple[str, str, str, dict]:
    sql, params = _prefix_sql("e.actor_name", name, "name")
    return label, f"actor={name}", f"AND {sql}", params


def _timed(client, url: str) -> tuple[list[float], int, int]:
    from django.db import connection

    statements = []  # counted as they run: the request's start would empty a query log

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
    return samples, len(statements), response.content.decode().count('data-testid="audit-row"')


def _raw(sql: str, params: dict) -> tuple[list[float], int]:
    from django.db import connection

    samples, rows = [], 0
    with connection.cursor() as cursor:
        for _ in range(RUNS):
            started = time.perf_counter()
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            samples.append(time.perf_counter() - started)
    return samples, rows


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.audit.models import AuditEvent

    print(f"审计 on {connection.vendor}: {ensure_events()}", flush=True)
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    quiet = override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        STORAGES={**settings.STORAGES,
                  "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
    quiet.enable()
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, region__level="county").order_by("id").first()
    towns = list(User.objects.filter(role=Role.TOWNSHIP_STAFF).select_related("region").order_by("username"))
    town = max(towns, key=lambda u: AuditEvent.objects.filter(scope_path__startswith=u.region.path).count())
    total = AuditEvent.objects.count()
    today = timezone.localdate()
    month_ago = today - dt.timedelta(days=30)
    print(f"  {total:,} events in the trail")

    worst = 0.0
    for who, user in (("county admin", admin), (f"township {town.region.name}", town)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        scope, params = "e.scope_path LIKE %(scope)s", {"scope": user.region.path + "%"}
        newest = AuditEvent.objects.filter(scope_path__startswith=user.region.path).order_by("-at", "-id")
        cursor_row = newest.values("pk", "at")[49]
        name = User.objects.filter(role=Role.VILLAGE_CADRE, region__path__startswith=user.region.path) \
            .order_by("id").values_list("full_name", flat=True).first() or ""
        variants = [
            ("newest page", "", "", {}),
            ("next page", f"before={cursor_row['pk']}",
             "AND (e.at < %(at)s OR (e.at = %(at)s AND e.id < %(pk)s))",
             {"at": cursor_row["at"], "pk": cursor_row["pk"]}),
            ("category 导入", "action=import", "AND e.action = 'import'", {}),
            _person(f"person {name}", name),
            _person(f"person by surname {name[:1]}", name[:1]),
            ("last 30 days, 查看敏感信息", f"action=reveal&start={month_ago}&end={today}",
             "AND e.action = 'reveal' AND e.at >= %(start)s",
             {"start": timezone.make_aware(dt.datetime.combine(month_ago, dt.time.min))}),
            ("text 低保", "text=低保", "AND e.summary LIKE %(text)s", {"text": "%低保%"}),
            ("text found nowhere (the page reads a quarter, the plain SQL every row in scope)", "text=无此内容",
             "AND e.summary LIKE %(text)s", {"text": "%无此内容%"}),
        ]
        for label, query, extra, more in variants:
            page, queries, rows = _timed(client, f"/centre/audit/?{query}")
            raw, raw_rows = _raw(PAGE_SQL.format(scope=scope, extra=extra), {**params, **more})
            line(f"审计 {label}, {who}: {rows} rows shown",
                 f"page {summary_ms(page)}, {queries} queries",
                 f"the same page of rows as one plain SQL statement ({raw_rows} rows): {summary_ms(raw)}")
            worst = max(worst, percentile([s * 1000 for s in page], 95))
        with transaction.atomic():
            started = time.perf_counter()
            response = client.get("/centre/audit/export.xlsx")
            seconds = time.perf_counter() - started
            assert response.status_code == 200
            recorded = AuditEvent.objects.filter(action="export", summary__startswith="导出审计日志").order_by("-id") \
                .values_list("summary", flat=True).first()
            transaction.set_rollback(True)
        print(f"  审计 export, {who}: {len(response.content):,} bytes in {seconds * 1000:,.0f} ms; "
              f"recorded as 「{recorded}」 (rolled back)")
    print(f"    target: p95 ≤ 300 ms for every page: {'met' if worst <= 300 else 'NOT met'} "
          f"(worst p95 {worst:.0f} ms)")
    quiet.disable()


if __name__ == "__main__":
    main()
