"""The SMS an announcement sends to people on the register who have no account: each with a link of its
own that marks the receipt read. Run by the worker (``tasks.receipts_sms``) after the sending commits.

Each receipt records the round of its last SMS (1 the announcement, 2 the first reminder, …), so a task
run twice sends nothing twice, and a receipt read meanwhile gets no reminder."""

import logging

from xiangzhi.core.sms import GatewayError, sms_backend
from xiangzhi.lib import crypto
from xiangzhi.participation.models import AnnouncementReceipt
from xiangzhi.participation.selectors import receipts_for_sms

logger = logging.getLogger("xiangzhi.participation")

SENT = "sent"


def receipt_link(site: str, key: str) -> str:
    return f"{site.rstrip('/')}/participation/r/{key}/" if site else ""


def sms_text(receipt: AnnouncementReceipt, round_: int) -> str:
    a = receipt.announcement
    text = f"{'提醒：' if round_ > 1 else ''}{a.issuer}通知：{a.title}。"
    link = receipt_link(a.site, receipt.link_key)
    return text + (f"查看全文：{link}" if link else "详情请到村委会公开栏查看或咨询网格员。")


def receipts_sms_send(receipt_ids: list[int], round_: int) -> dict[str, int]:
    """Send round ``round_`` to each unread receipt among these that has not had it; record each outcome."""
    outcome = {"sent": 0, "failed": 0, "skipped": 0}
    backend = sms_backend()
    for receipt in receipts_for_sms(receipt_ids):
        if receipt.read_at is not None or receipt.sms_round >= round_:
            outcome["skipped"] += 1
            continue
        encrypted = receipt.resident.phone_encrypted
        phone = crypto.decrypt(encrypted) if encrypted else ""
        if not phone:
            status = "skipped: 无手机号"
            outcome["skipped"] += 1
        else:
            try:
                backend.send(phone, sms_text(receipt, round_))
            except GatewayError as exc:
                logger.warning("announcement receipt %s: SMS failed: %s", receipt.pk, exc)
                status = f"failed: {exc}"
                outcome["failed"] += 1
            else:
                status = SENT
                outcome["sent"] += 1
        AnnouncementReceipt.objects.filter(pk=receipt.pk).update(sms_round=round_, sms_status=status[:100])
    return outcome
