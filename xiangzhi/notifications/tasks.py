from huey.contrib.djhuey import db_task

from xiangzhi.notifications.services import notification_deliver


@db_task()
def deliver_notifications(notification_ids: list[int]) -> None:
    """A batch of deliveries in one task; each is recorded on its own row, so a retry sends nothing twice."""
    for notification_id in notification_ids:
        notification_deliver(notification_id=notification_id)
