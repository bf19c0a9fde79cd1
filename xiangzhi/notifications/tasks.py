from huey.contrib.djhuey import db_task

from xiangzhi.notifications.services import notification_deliver


@db_task()
def deliver_notification(notification_id: int) -> None:
    notification_deliver(notification_id=notification_id)
