"""运行状态 and /metrics: what they say is read from what the platform recorded, and only the right people read it."""

import ast
import datetime as dt
import logging
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.core.display import size_text
from xiangzhi.system import services
from xiangzhi.system.models import ErrorRecord, PeriodicRun, SizeSample, WorkerHeartbeat
from xiangzhi.system.schedule import BY_NAME
from xiangzhi.system.selectors import growth_now, status_now


def metrics_of(text: str) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


@pytest.mark.django_db
def test_a_periodic_run_is_recorded_and_a_failure_is_kept_and_raised():
    with services.periodic_run("case_deadlines"):
        pass
    run = PeriodicRun.objects.get(name="case_deadlines")
    assert run.ok and run.runs == 1 and run.failures == 0 and run.last_ok_at and run.seconds is not None
    with pytest.raises(ValueError), services.periodic_run("case_deadlines"):
        raise ValueError("区划代码不存在")
    run.refresh_from_db()
    assert not run.ok and run.runs == 2 and run.failures == 1 and "区划代码不存在" in run.error
    assert run.last_ok_at is not None  # the last good run is still known


def test_every_scheduled_task_is_known_to_the_status_page():
    source = (Path(__file__).resolve().parents[1] / "tasks.py").read_text()
    tasks = {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)
             and any("periodic_task" in ast.unparse(d) for d in node.decorator_list)}
    assert tasks == set(BY_NAME), tasks ^ set(BY_NAME)
    for name in tasks:
        assert f'periodic_run("{name}")' in source, name


@pytest.mark.django_db
def test_the_status_page_says_what_is_wrong(client):
    admin = UserFactory(role=Role.COUNTY_ADMIN)
    services.worker_beat()
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(minutes=20))
    with pytest.raises(RuntimeError), services.periodic_run("points_cycles"):
        raise RuntimeError("规则缺失")
    PeriodicRun.objects.create(name="patrols_close_stale", started_at=timezone.now() - dt.timedelta(hours=2),
                               finished_at=timezone.now() - dt.timedelta(hours=2), seconds=0.5, runs=1)
    services.error_record(logger="django.request", message="Internal Server Error: /cases/", context="GET /cases/")
    client.force_login(admin)
    page = client.get("/system/status/").content.decode()
    assert "后台任务已 20 分钟没有心跳" in page
    assert "失败：RuntimeError: 规则缺失" in page and "逾期未运行" in page  # points cycles; the patrol sweep
    assert "2 项失败或逾期未运行" in page
    assert "最近一天 1 次" in page and "Internal Server Error: /cases/" in page
    state = status_now()
    assert state.state == "bad"
    assert {c.label: c.state for c in state.checks}["错误"] == "warn"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_WORKER, Role.RESIDENT])
def test_only_the_county_admin_reads_the_status_page_and_metrics(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/system/status/").status_code == 403
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_metrics_need_the_token_or_the_admin_and_follow_the_format(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with services.periodic_run("heartbeat"):
        services.worker_beat()
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    found = metrics_of(response.content.decode())
    assert found["xiangzhi_up"][0].value == 1
    assert found["xiangzhi_database_bytes"][0].value > 0
    late = {s.labels["task"]: s.value for s in found["xiangzhi_periodic_late"]}
    assert late["heartbeat"] == 0 and late["case_deadlines"] == 1  # never ran
    assert found["xiangzhi_worker_heartbeat_age_seconds"][0].value < 60
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401  # no token: no way in
    client.force_login(UserFactory(role=Role.COUNTY_ADMIN))
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_logged_errors_are_kept_for_the_page_but_not_from_a_failing_transaction_nor_in_a_storm(monkeypatch):
    logging.getLogger("xiangzhi.cases").error("派单失败：部门不存在")
    assert ErrorRecord.objects.get().message == "派单失败：部门不存在"
    with transaction.atomic():
        transaction.set_rollback(True)  # a transaction already failing: writing to it would fail too
        assert services.error_record(logger="x", message="inside") is False
    monkeypatch.setattr(services, "ERRORS_PER_MINUTE", 3)
    kept = [services.error_record(logger="x", message=f"第 {i} 次") for i in range(5)]
    assert kept == [True, True, False, False, False]
    ErrorRecord.objects.update(at=timezone.now() - dt.timedelta(days=31))
    assert services.errors_prune() == 3 and not ErrorRecord.objects.exists()


@pytest.mark.django_db
def test_growth_is_measured_against_the_oldest_sample_of_the_month():
    today = timezone.localdate()
    first = services.size_sample(today - dt.timedelta(days=10))
    SizeSample.objects.filter(pk=first.pk).update(database_bytes=first.database_bytes - 10 * 1024**2,
                                                  media_bytes=first.media_bytes)
    growth = growth_now(today)
    assert growth.database_per_day == pytest.approx(1024**2, rel=0.05)  # PostgreSQL's size moves by pages
    assert growth.media_per_day == 0


def test_sizes_read_in_one_style():
    assert [size_text(v) for v in (12, 1536, 5 * 1024**3, None)] == ["12 B", "1.5 KB", "5.0 GB", ""]


def test_log_files_turn_over_and_keep_their_lines(tmp_path):
    """The demo and production write var/logs/xiangzhi.log, turned over at midnight (forced here)."""
    import os
    import subprocess
    import sys

    script = (
        "import logging, django; django.setup();"
        "log = logging.getLogger('xiangzhi.demo');"
        "log.warning('第一天的记录');"
        "handler = next(h for h in logging.getLogger().handlers if h.__class__.__name__.startswith('Concurrent'));"
        "handler.doRollover();"
        "log.warning('第二天的记录')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings", "XIANGZHI_VAR": str(tmp_path / "var"),
           "XIANGZHI_LOG_DIR": str(tmp_path / "logs"), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, timeout=60)
    files = sorted(p.name for p in (tmp_path / "logs").iterdir() if not p.name.startswith("."))
    assert files[0] == "xiangzhi.log" and len(files) == 2 and files[1].startswith("xiangzhi.log.")
    assert "第二天的记录" in (tmp_path / "logs" / "xiangzhi.log").read_text(encoding="utf-8")
    assert "第一天的记录" in (tmp_path / "logs" / files[1]).read_text(encoding="utf-8")


@pytest.mark.django_db
def test_the_status_page_raises_a_failed_backup_and_an_unprinted_key_sheet(client):
    from xiangzhi.backups.models import BackupKind, BackupRun, RunStatus

    now = timezone.now()
    BackupRun.objects.create(kind=BackupKind.DAILY, status=RunStatus.OK, started_at=now - dt.timedelta(days=1),
                             finished_at=now - dt.timedelta(days=1), directory="/srv/backups",
                             file_name="xiangzhi-daily-20261206-0230.xzbk", size_bytes=52_428_800, seconds=12.5)
    BackupRun.objects.create(kind=BackupKind.DAILY, status=RunStatus.FAILED, started_at=now, finished_at=now,
                             directory="/srv/backups", file_name="", error="备份目录所在磁盘已满")
    checks = {c.label: c for c in status_now().checks}
    assert checks["备份"].state == "bad" and "备份目录所在磁盘已满" in checks["备份"].text
    assert checks["密钥"].state == "warn" and "恢复单还没有打印" in checks["密钥"].text
    client.force_login(UserFactory(role=Role.COUNTY_ADMIN))
    page = client.get("/system/status/").content.decode()
    assert "50.0 MB" in page and "xiangzhi-daily-20261206-0230.xzbk" in page and "备份目录所在磁盘已满" in page
    found = metrics_of(client.get("/metrics").content.decode())
    assert found["xiangzhi_backup_alert"][0].value == 1 and found["xiangzhi_key_sheet_exported"][0].value == 0


def test_the_worker_reads_its_crontabs_in_the_countys_time(tmp_path):
    """03:10 is 03:10 in 章丘, not 11:10: huey asks the clock for local time, which Django set to TIME_ZONE."""
    import os
    import subprocess
    import sys

    script = ("import django; django.setup(); from huey.contrib.djhuey import HUEY;"
              "import datetime, time; from xiangzhi.system.tasks import category_suggester as t;"
              "at = datetime.datetime(2026, 12, 7, 3, 10);"
              "print(HUEY.utc, time.strftime('%Z'), t.task_class().validate_datetime(at))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings", "XIANGZHI_VAR": str(tmp_path),
           "XIANGZHI_LOG_DIR": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("HUEY_IMMEDIATE", None)
    env.pop("HUEY_URL", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True,
                         timeout=60).stdout.split()
    assert out == ["False", "CST", "True"]
