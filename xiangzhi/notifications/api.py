import datetime as dt

from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.notifications import selectors, services

router = Router(tags=["消息"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class ReadAllOut(Schema):
    updated: int


@router.get("", response=list[NotificationOut], summary="我的消息（未读在前；?unread=true 只看未读）")
@paginate(PageNumberPagination, page_size=20, max_page_size=100)
def notification_list(request, unread: bool = False):
    return selectors.notification_list_for_user(request.user, unread_only=unread)


@router.post("/read-all", response=ReadAllOut, summary="全部标为已读")
def notification_read_all(request):
    return {"updated": services.notification_mark_all_read(user=request.user)}


@router.post("/{notification_id}/read", response=NotificationOut, summary="标为已读")
def notification_read(request, notification_id: int):
    notification = selectors.notification_get_for_user(request.user, notification_id)
    return services.notification_mark_read(user=request.user, notification=notification)
