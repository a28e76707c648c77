"""The notification centre: my notifications in this estate (unread first), mark one or all read, and the unread
badge the layouts load with htmx. Always the signed-in user's own notifications (NotificationPolicy)."""

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from gongzhi.core.errors import NotFound
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page

from .. import selectors, services

LIMIT = 30


def _safe_link(request, url: str) -> str:
    """A notification's link is within the site; anything else is dropped."""
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) \
        and url.startswith("/") else ""


@estate_page
def notification_list(request):
    """Unread first (newest first), then the read ones (newest first, paged). POST marks one read (and follows
    its link when asked) or all read."""
    actor = request.actor
    if request.method == "POST":
        if request.POST.get("action") == "read_all":
            services.notifications_mark_all_read(actor=actor)
        else:
            raw = request.POST.get("notification_id", "")
            if not raw.isdigit():
                raise NotFound()
            notification = services.notification_mark_read(actor=actor, notification_id=int(raw))
            link = _safe_link(request, notification.url)
            if request.POST.get("follow") and link:
                return redirect(link)
        if request.headers.get("HX-Request"):
            return _badge(request, actor)
        return redirect("notifications:list", actor.estate.pk)
    unread = list(selectors.notification_list(actor=actor, unread=True).order_by("-pk")[:200])
    page = paginate(selectors.notification_list(actor=actor, unread=False), cursor=request.GET.get("cursor") or None,
                    limit=LIMIT, descending=True)
    rows = [{"n": n, "link": _safe_link(request, n.url)} for n in unread]
    read_rows = [{"n": n, "link": _safe_link(request, n.url)} for n in page.items]
    return render_page(request, "notifications/list.html", {
        "unread": rows, "read": read_rows, "unread_count": len(unread), "pager": pager(request, page)})


def _badge(request, actor):
    return render(request, "notifications/_badge.html", {"actor": actor,
                                                          "count": selectors.unread_count(actor=actor)})


@estate_page
def badge(request):
    """The unread count as a small link, for the nav (htmx: hx-get this, hx-trigger="load, every 30s")."""
    return _badge(request, request.actor)
