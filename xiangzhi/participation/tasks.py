"""What the background worker does for participation: the SMS of an announcement, after it commits."""

from huey.contrib.djhuey import db_task

from xiangzhi.participation.delivery import receipts_sms_send


@db_task()
def receipts_sms(receipt_ids: list[int], round_: int) -> None:
    """One batch of an announcement's (or a reminder's) SMS; each outcome is recorded on its receipt."""
    receipts_sms_send(receipt_ids, round_)
