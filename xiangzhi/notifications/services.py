"""Every change to notifications: sending one, delivering it through the channels, marking it read."""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Forbidden, Invalid
from xiangzhi.notifications.channels import Channel, DeliveryError, DeliverySkipped
from xiangzhi.notifications.models import Notification

logger = logging.getLogger("xiangzhi.notifications")

KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,31}")


def _limit(max_length: int | None) -> int:
    assert max_length is not None  # the title and the link are CharFields, which always have one
    return max_length


TITLE_MAX = _limit(Notification._meta.get_field("title").max_length)
LINK_MAX = _limit(Notification._meta.get_field("link").max_length)
SENT = "sent"


class NotificationError(Invalid):
    """A notification refused: the caller passed something that cannot be shown or followed."""


def is_local_link(link: str) -> bool:
    """A path on this site (``/cases/12/``): the inbox redirects to it, so nothing else is accepted."""
    return (
        link.startswith("/")
        and not link.startswith("//")
        and "\\" not in link
        and url_has_allowed_host_and_scheme(link, allowed_hosts=None)
    )


@dataclass(frozen=True)
class Message:
    """One notice for a list of recipients (users or user ids)."""

    recipients: tuple[User | int, ...]
    kind: str
    title: str
    body: str = ""
    link: str = ""


def notify(*, recipients: Iterable[User | int], kind: str, title: str, body: str = "",
           link: str = "") -> list[Notification]:
    """Put a message in the inbox of each recipient and send it through the configured channels.

    ``recipients`` are users or user ids; repeats are dropped and inactive accounts skipped. The inbox
    rows are written now, in the caller's transaction; channel delivery is queued for after that
    transaction commits (nothing is sent for a rolled-back action). ``kind`` is a short code such as
    ``case_assigned``; ``link`` a path on this site. Returns the rows written, in recipient order.
    """
    return notify_many([Message(tuple(recipients), kind, title, body, link)])


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """``notify`` for many messages at once (the deadline sweep's notices): one query for the active
    accounts, one bulk insert, deliveries queued in batches."""
    prepared = [_checked(m) for m in messages]
    wanted = {pk for _, recipients in prepared for pk in recipients}
    if not wanted:
        return []
    active = set(get_user_model().objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    now = timezone.now()
    rows = [
        Notification(recipient_id=pk, kind=m.kind, title=m.title, body=m.body, link=m.link, created_at=now)
        for m, recipients in prepared
        for pk in recipients
        if pk in active
    ]
    if not rows:
        return []
    with transaction.atomic(savepoint=False):  # inside the caller's transaction: no savepoint of its own
        created = Notification.objects.bulk_create(rows, batch_size=1000)
        # robust: a queue that is down must not turn the caller's committed action into an error page;
        # the inbox rows are already there.
        transaction.on_commit(partial(_enqueue_deliveries, [n.pk for n in created]), robust=True)
    return created


def _checked(message: Message) -> tuple[Message, list[int]]:
    if not KIND_PATTERN.fullmatch(message.kind or ""):
        raise NotificationError(f"消息类型应为小写字母、数字和下划线组成的代码：{message.kind!r}")
    title = " ".join((message.title or "").split())
    if not title:
        raise NotificationError("消息标题不能为空")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    link = (message.link or "").strip()
    if link and (len(link) > LINK_MAX or not is_local_link(link)):
        raise NotificationError(f"消息链接应为本站路径，如 /cases/12/：{link!r}")
    recipients = list(dict.fromkeys(r.pk if isinstance(r, User) else r for r in message.recipients))
    return Message(tuple(recipients), message.kind, title, message.body or "", link), recipients


DELIVERY_BATCH = 200


def _enqueue_deliveries(notification_ids: list[int]) -> None:
    from xiangzhi.notifications.tasks import deliver_notifications

    for i in range(0, len(notification_ids), DELIVERY_BATCH):
        deliver_notifications(notification_ids[i:i + DELIVERY_BATCH])


def notification_deliver(*, notification_id: int) -> dict[str, str]:
    """Hand one notification to every configured channel and record each outcome.

    Runs in the worker. A channel already recorded as sent is not sent again, so running this twice
    for one notification never sends a second SMS. Returns the delivery record.
    """
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return {}  # the account was deleted before the worker got here
    deliveries = dict(notification.deliveries)
    for path in settings.NOTIFY_CHANNELS:
        try:
            channel = import_string(path)()
        except Exception as exc:
            logger.error("notification channel %s cannot be loaded: %s", path, exc)
            deliveries[path] = "failed: 无法加载渠道"
            continue
        if deliveries.get(channel.name) == SENT:
            continue
        deliveries[channel.name] = _deliver_one(channel, notification)
    Notification.objects.filter(pk=notification.pk).update(deliveries=deliveries)
    notification.deliveries = deliveries
    return deliveries


def _deliver_one(channel: Channel, notification: Notification) -> str:
    if not notification.recipient.is_active:
        return "skipped: 账号已停用"
    try:
        channel.send(notification)
    except DeliverySkipped as exc:
        return f"skipped: {exc}"
    except DeliveryError as exc:
        logger.warning("notification %s via %s failed: %s", notification.pk, channel.name, exc)
        return f"failed: {exc}"
    except Exception as exc:
        # A bug in one channel must not keep the message from the others.
        logger.exception("notification %s via %s raised", notification.pk, channel.name)
        return f"failed: {exc.__class__.__name__}"
    return SENT


def notification_mark_read(*, user: User, notification: Notification) -> Notification:
    """Marks the user's own notification read; the first reading time is kept."""
    if notification.recipient_id != user.pk:
        raise Forbidden("只能标记自己的消息")
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: User) -> int:
    """Marks every unread notification of the user read; returns how many there were."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
