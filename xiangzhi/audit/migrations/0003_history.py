"""An upgraded county's trail does not start empty: every reveal already recorded (``people.RevealRecord``)
and every admin action in Django's log (``admin.LogEntry``) is copied in once, at its own time. Admin
actions are placed where their author stood (his region), the nearest the old log allows. Nothing is
removed from the old tables; from here on both are written side by side."""

import json

from django.db import migrations

from xiangzhi.audit.services import masked

BATCH = 1000
FIELD_LABELS = {"id_number": "身份证号", "phone": "手机号"}
ADMIN_VERBS = {1: ("添加", "addition"), 2: ("修改", "change"), 3: ("删除", "deletion")}


def _name(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _region_path(user) -> str:
    return user.region.path if user is not None and user.region_id else ""


def change_text(message: str) -> str:
    """Django's JSON change message in words (the historical model has no ``get_change_message``)."""
    try:
        items = json.loads(message)
    except ValueError:
        return message
    if not isinstance(items, list):
        return message
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "changed" in item:
            fields = item["changed"].get("fields") or []
            out.append("修改了" + "、".join(str(f) for f in fields) if fields else "没有修改字段")
        elif "added" in item:
            added = item["added"]
            out.append(f"添加了{added.get('name', '')}「{added.get('object', '')}」" if added else "")
        elif "deleted" in item:
            deleted = item["deleted"]
            out.append(f"删除了{deleted.get('name', '')}「{deleted.get('object', '')}」")
    return "；".join(o for o in out if o)


def copy_history(apps, schema_editor) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    RevealRecord = apps.get_model("people", "RevealRecord")
    LogEntry = apps.get_model("admin", "LogEntry")
    batch = []

    def add(event) -> None:
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_create(batch)
            batch.clear()

    reveals = RevealRecord.objects.select_related("user", "resident__household__grid").order_by("pk")
    for r in reveals.iterator(chunk_size=BATCH):
        label = FIELD_LABELS.get(r.field, r.field)
        add(AuditEvent(
            at=r.created_at, actor_id=r.user_id, actor_name=_name(r.user), action="reveal",
            summary=masked(f"查看{r.resident.name}的完整{label}（事由：{r.reason}）")[:300],
            subject=f"people.resident:{r.resident_id}", scope_path=r.resident.household.grid.path,
            ip=r.ip_address, detail={"field": r.field, "reason": masked(r.reason), "reveal_record": r.pk, "copied": True},
        ))
    entries = LogEntry.objects.select_related("user__region", "content_type").order_by("pk")
    for e in entries.iterator(chunk_size=BATCH):
        verb, flag = ADMIN_VERBS.get(e.action_flag, ("操作", str(e.action_flag)))
        noun = ""
        if e.content_type_id is not None:
            try:
                noun = str(apps.get_model(e.content_type.app_label, e.content_type.model)._meta.verbose_name)
            except LookupError:
                noun = e.content_type.model
        said = change_text(e.change_message) if e.change_message else ""
        label = f"{e.content_type.app_label}.{e.content_type.model}" if e.content_type_id else ""
        add(AuditEvent(
            at=e.action_time, actor_id=e.user_id, actor_name=_name(e.user), action="admin",
            summary=masked(f"后台{verb}{noun}「{e.object_repr}」" + (f"：{said}" if said else ""))[:300],
            subject=f"{label}:{e.object_id}"[:120] if label else "", scope_path=_region_path(e.user),
            detail={"admin": flag, "log_entry": e.pk, "copied": True},
        ))
    if batch:
        AuditEvent.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
        ("people", "0011_household_location"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]
    operations = [migrations.RunPython(copy_history, migrations.RunPython.noop)]
