from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xiangzhi.notifications import selectors, services


@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.notification_list_for_user(request.user, unread_only=unread_only), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"notifications": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_open(request, notification_id: int):
    """Clicking a message: mark it read and follow its link (a path on this site, never elsewhere)."""
    notification = selectors.notification_get_for_user(request.user, notification_id)
    services.notification_mark_read(user=request.user, notification=notification)
    if notification.link and services.is_local_link(notification.link):
        return redirect(notification.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """htmx: swaps the item for its read state and refreshes the badge in the menu."""
    notification = selectors.notification_get_for_user(request.user, notification_id)
    services.notification_mark_read(user=request.user, notification=notification)
    if not request.htmx:
        return redirect("notifications:inbox")
    return render(request, "notifications/_read.html", {
        "n": notification, "unread": selectors.notification_unread_count(request.user),
    })


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"已将 {count} 条消息标为已读")
    return redirect("notifications:inbox")
