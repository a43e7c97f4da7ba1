from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from casework.notifications import selectors, services
from casework.web.listing import paginated


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The person's notifications, unread first among the newest; `?show=unread` for the unread only."""
    notifications = selectors.notifications_for(request.user)
    show = "unread" if request.GET.get("show") == "unread" else "all"
    if show == "unread":
        notifications = notifications.unread()
    return render(
        request,
        "notifications/notification_list.html",
        {"show": show, **paginated(request, notifications)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    # Only the person's own notifications: another's id changes nothing.
    services.notifications_mark_read(user=request.user, ids=[notification_id])
    return redirect(_back(request))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    url = reverse("notifications:notification_list")
    return f"{url}?show=unread" if request.POST.get("show") == "unread" else url
