import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from xiangzhi.audit.models import AuditEvent
from xiangzhi.audit.rules import COUNTY_ROLE, audit_allowed
from xiangzhi.core.errors import Forbidden


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _name_prefix(value: str) -> Q:
    """Names starting with ``value``, on their index: few rows, whatever the scope. On SQLite ``LIKE``
    cannot use the index (it is case-insensitive and the column is not), so the prefix is asked as a
    range, exact in SQLite's binary collation; PostgreSQL plans ``LIKE 'prefix%'`` on the pattern index."""
    if connection.vendor == "sqlite":
        return Q(actor_name__gte=value, actor_name__lt=value + "\U0010ffff")
    return Q(actor_name__startswith=value)


def audit_scope_q(user: Any) -> Q:
    """The events ``user`` may read: everything under the region he stands on. Events without a
    path (the platform's own: failed logins, site-wide settings) are the county's."""
    if not audit_allowed(user):
        raise Forbidden("只有县级管理员和乡镇（街道）综治中心可以查看审计日志")
    if user.is_superuser:
        return Q()
    # Asked as a pattern on every database: a reader's scope is a township at least, a twelfth of the
    # county's trail or more, so the cheap path is the newest-first index skipping other townships' rows
    # (or the category's or the person's index). A range SQLite could index would tempt its planner into
    # sorting the whole scope.
    q = Q(scope_path__startswith=user.region.path)
    if user.role == COUNTY_ROLE:
        q |= Q(scope_path="")
    return q


def audit_list_for_user(user: Any, *, action: str | None = None, actor: str | int | None = None,
                        start: dt.date | None = None, end: dt.date | None = None,
                        text: str | None = None) -> QuerySet[AuditEvent]:
    """Events in ``user``'s scope, newest first. ``actor``: an account id, or the person's name as it
    was recorded, or its beginning (a surname); ``start``/``end``: dates, both inclusive; ``text``: part
    of the summary, the sentence that names the people, places and things concerned. A role that may not
    read the trail is refused (``Forbidden``)."""
    qs = AuditEvent.objects.filter(audit_scope_q(user))
    if action:
        qs = qs.filter(action=action)
    if isinstance(actor, int):
        qs = qs.filter(actor_id=actor)
    elif actor:
        qs = qs.filter(_name_prefix(actor.strip()))
    if start is not None:
        qs = qs.filter(at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(at__lt=_day_start(end + dt.timedelta(days=1)))
    if text and text.strip():
        t = text.strip()
        qs = qs.filter(summary__contains=t)
    return qs.order_by("-at", "-id")
