"""Recording into the audit trail. Every caller goes through ``audit_record``; downloads through
``export_recorded``, which records and hands the file over in one step."""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from xiangzhi.audit.models import AuditAction, AuditEvent
from xiangzhi.core.imports import XLSX_TYPE, file_response
from xiangzhi.lib import idnumber

# An 18-character ID number or an 11-digit mobile number standing alone in a text: the trail keeps
# masked copies only, whatever a caller hands it.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def masked(value: Any) -> Any:
    """``value`` (text, or JSON made of lists and dicts) with every whole ID number and mobile number masked."""
    if isinstance(value, str):
        value = _ID_NUMBER.sub(lambda m: idnumber.mask(m.group()), value)
        return _PHONE.sub(lambda m: idnumber.mask_phone(m.group()), value)
    if isinstance(value, dict):
        return {str(k): masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value


def actor_name(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return str(getattr(actor, "full_name", "") or getattr(actor, "username", ""))


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def common_path(paths: Iterable[str]) -> str:
    """The deepest region/grid path above all of ``paths`` (``/37/3716/371603/`` for two villages of one
    township): where an event touching several places belongs."""
    parts: list[str] | None = None
    for path in paths:
        these = path.strip("/").split("/")
        if parts is None:
            parts = these
        else:
            n = 0
            while n < min(len(parts), len(these)) and parts[n] == these[n]:
                n += 1
            parts = parts[:n]
    return "/" + "".join(p + "/" for p in parts) if parts else ""


def actor_path(actor: Any) -> str:
    """The path of the region an account stands on, for an event that concerns its whole scope."""
    region = getattr(actor, "region", None) if getattr(actor, "region_id", None) else None
    return region.path if region is not None else ""


def audit_event(*, actor: Any, action: AuditAction | str, summary: str, scope_path: str = "",
                subject: str = "", detail: dict[str, Any] | None = None, ip: str | None = None,
                at: dt.datetime | None = None) -> AuditEvent:
    """An event as ``audit_record`` writes it, not saved: for ``audit_record_many``."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        at=at or timezone.now(), actor=user, actor_name=actor_name(user), action=action,
        summary=masked(summary)[:300], subject=subject[:120], scope_path=scope_path, ip=ip,
        detail=masked(detail or {}),
    )


def audit_record(*, actor: Any, action: AuditAction | str, summary: str, scope_path: str = "",
                 subject: str = "", detail: dict[str, Any] | None = None, ip: str | None = None,
                 at: dt.datetime | None = None) -> AuditEvent:
    """Add one event. ``actor`` is the account that acted (None or an anonymous user for the system);
    its name is kept as it is now. ``scope_path`` is the region/grid path the event concerns — who may
    read the event follows from it; leave it empty only for county-wide events. ``at`` defaults to now
    (a service that takes its own ``now``, as the demo's history does, passes it)."""
    event = audit_event(actor=actor, action=action, summary=summary, scope_path=scope_path, subject=subject,
                        detail=detail, ip=ip, at=at)
    event.save(force_insert=True)
    return event


def audit_record_many(events: Iterable[AuditEvent]) -> int:
    """Several events built by ``audit_event`` in one insert (a sweep that closes hundreds at once)."""
    return len(AuditEvent.objects.bulk_create(list(events), batch_size=500))


def export_recorded(request: HttpRequest, content: bytes, filename: str, *, summary: str, scope_path: str = "",
                    subject: str = "", detail: dict[str, Any] | None = None,
                    content_type: str = XLSX_TYPE) -> HttpResponse:
    """Hand a download over and leave an export event naming the file, who took it and from where."""
    audit_record(actor=request.user, action=AuditAction.EXPORT, summary=summary, scope_path=scope_path,
                 subject=subject, detail={"file": filename, "bytes": len(content), **(detail or {})},
                 ip=client_ip(request))
    return file_response(content, filename, content_type)
