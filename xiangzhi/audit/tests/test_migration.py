"""The upgrade: reveals and admin actions recorded before the trail existed are copied into it."""

import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import build_small_county
from xiangzhi.audit.models import AuditEvent
from xiangzhi.people.models import RevealRecord
from xiangzhi.regions.models import Grid

BEFORE = [("audit", "0002_append_only")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_reveals_and_admin_actions_at_their_own_time():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    c = build_small_county()
    staff, admin = c.users["township_staff"], c.users["county_admin"]
    resident = c.households["a1"].residents.order_by("id").first()
    reveal = RevealRecord.objects.create(user=staff, resident=resident, field="id_number",
                                         reason="核对低保 13812345678", ip_address="10.0.0.5")
    ContentType.objects.clear_cache()  # an earlier transactional test's flush renumbers the content types
    grid_type = ContentType.objects.get_for_model(Grid)
    LogEntry.objects.create(user=admin, content_type=grid_type, object_id=str(c.grid_a2.pk), object_repr="西村第一网格",
                            action_flag=CHANGE, change_message=json.dumps([{"changed": {"fields": ["名称", "边界"]}}]))
    LogEntry.objects.create(user=staff, content_type=grid_type, object_id="99", object_repr="新网格",
                            action_flag=ADDITION, change_message="")
    assert not AuditEvent.objects.exists()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    copied_reveal = AuditEvent.objects.get(action="reveal")
    assert (copied_reveal.at, copied_reveal.actor, copied_reveal.scope_path, copied_reveal.ip) == (
        reveal.created_at, staff, c.grid_a1.path, "10.0.0.5")
    assert copied_reveal.summary == f"查看{resident.name}的完整身份证号（事由：核对低保 138****5678）"
    assert copied_reveal.detail["reveal_record"] == reveal.pk and "13812345678" not in json.dumps(copied_reveal.detail)
    change, addition = AuditEvent.objects.filter(action="admin").order_by("id")
    assert change.summary == "后台修改网格「西村第一网格」：修改了名称、边界"
    assert (change.actor, change.scope_path, change.subject) == (admin, c.county.path, f"regions.grid:{c.grid_a2.pk}")
    assert (addition.summary, addition.scope_path) == ("后台添加网格「新网格」", c.town_a.path)
