"""The notices pages: the resident portal (mobile-first: emergencies pinned, opening a notice marks the house read)
and the staff console (dense: lists by state, the editor with the target picker, publish or schedule, correction,
withdrawal, read receipts with per-building progress and the reminder button).

Views only call selectors and services; who may do what is NoticePolicy's answer (the console needs ``console``,
writing needs the write actions; anyone else gets 403, and a notice the actor may not see is 404).
"""

from django.shortcuts import redirect, render
from django.utils import timezone

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page

from .. import attachments, selectors, services
from ..choices import NoticeKind, NoticeState
from ..policies import NoticePolicy
from ..presenters import notice_detail_data, notice_row_data
from .forms import AttachmentForm, NoticeForm, PublishForm, WithdrawForm

LIST_LIMIT = 30


def _console_actor(request, action: str = "console"):
    actor = request.actor
    if not NoticePolicy.can(actor, action):
        raise Forbidden()
    return actor


def _cursor(request):
    return request.GET.get("cursor") or None


# --- resident portal ---------------------------------------------------------------------------------------------
@estate_page
def feed(request):
    """My notices: current emergencies pinned on top, then the rest, newest first; unread ones marked."""
    actor = request.actor
    now = timezone.now()
    pinned = [notice_row_data(actor, n, now) for n in selectors.notice_feed_pinned(actor=actor)]
    page = selectors.notice_feed_page(actor=actor, cursor=_cursor(request), limit=LIST_LIMIT)
    return render_page(request, "notices/feed.html", {
        "pinned": pinned, "rows": [notice_row_data(actor, n, now) for n in page.items],
        "pager": pager(request, page), "console": NoticePolicy.can(actor, "console")})


@estate_page
def pinned(request):
    """The current emergencies of my feed as a fragment, for the portal home (htmx: hx-get this on load)."""
    actor = request.actor
    rows = [notice_row_data(actor, n) for n in selectors.notice_feed_pinned(actor=actor)]
    return render(request, "notices/_pinned.html", {"actor": actor, "pinned": rows})


@estate_page
def detail(request, notice_id):
    """One notice of my feed; opening it marks my house read (once)."""
    actor = request.actor
    notice = selectors.notice_feed_get(actor=actor, notice_id=notice_id)
    services.notice_mark_read(actor=actor, notice=notice)
    data = notice_detail_data(actor, notice, attachments.attachment_list(actor=actor, notice=notice))
    return render_page(request, "notices/detail.html", {"notice": notice, "data": data})


@estate_page
def attachment(request, notice_id, attachment_id):
    """An attachment, to whoever may see the notice (the same check as the API)."""
    return attachments.attachment_response(
        attachments.attachment_get(actor=request.actor, notice_id=notice_id, attachment_id=attachment_id))


# --- staff console -----------------------------------------------------------------------------------------------
CONSOLE_TABS = [NoticeState.CURRENT, NoticeState.SCHEDULED, NoticeState.DRAFT, NoticeState.EXPIRED,
                NoticeState.SUPERSEDED, NoticeState.WITHDRAWN]


@estate_page
def console(request):
    """Every notice by state: current, scheduled, drafts, expired, superseded, withdrawn (or all)."""
    actor = _console_actor(request)
    state = request.GET.get("state") or None
    if state not in NoticeState.values:
        state = None
    kind = request.GET.get("kind") or None
    if kind not in NoticeKind.values:
        kind = None
    page = selectors.notice_page(actor=actor, cursor=_cursor(request), limit=LIST_LIMIT, state=state, kind=kind,
                                 q=(request.GET.get("q") or "").strip()[:60] or None)
    now = timezone.now()
    return render_page(request, "notices/console_list.html", {
        "rows": [notice_row_data(actor, n, now) for n in page.items], "pager": pager(request, page),
        "state": state, "kind": kind, "tabs": [(s, NoticeState(s).label) for s in CONSOLE_TABS],
        "can_write": NoticePolicy.can(actor, "create")})


@estate_page
def new(request):
    """The editor for a new draft."""
    actor = _console_actor(request, "create")
    form = NoticeForm(request.POST or None, estate=actor.estate)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(actor=actor, **form.service_fields())
        except DomainError as error:
            form.add_service_error(error)
        else:
            return redirect("notices:console_detail", actor.estate.pk, notice.pk)
    return render_page(request, "notices/editor.html", {"form": form, "notice": None},
                   status=400 if form.errors else 200)


def _console_context(actor, notice, **extra) -> dict:
    data = notice_detail_data(actor, notice, attachments.attachment_list(actor=actor, notice=notice))
    context = {"notice": notice, "data": data, "can_write": NoticePolicy.can(actor, "publish"),
               "publish_form": PublishForm(), "withdraw_form": WithdrawForm(), "attachment_form": AttachmentForm(),
               "max_attachments": attachments.MAX_PER_NOTICE}
    if data["editable"] and "form" not in extra:
        context["form"] = NoticeForm(initial=NoticeForm.initial_from(notice), estate=actor.estate)
    context.update(extra)
    return context


def _save(request, actor, notice):
    form = NoticeForm(request.POST, estate=actor.estate)
    if form.is_valid():
        try:
            services.notice_update(actor=actor, notice_id=notice.pk, **form.service_fields())
        except DomainError as error:
            if error.status == 409:
                raise
            form.add_service_error(error)
        else:
            return None
    return {"form": form}


def _publish(request, actor, notice):
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.notice_publish(actor=actor, notice_id=notice.pk, publish_at=form.cleaned_data["publish_at"])
        except DomainError as error:
            if error.status == 409:
                raise
            form.add_error(None, error.text())
        else:
            return None
    return {"publish_form": form}


def _withdraw(request, actor, notice):
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.notice_withdraw(actor=actor, notice_id=notice.pk, reason=form.cleaned_data["reason"])
        except DomainError as error:
            if error.status == 409:
                raise
            form.add_error("reason", error.text())
        else:
            return None
    return {"withdraw_form": form}


def _attach(request, actor, notice):
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            attachments.notice_attachment_add(actor=actor, notice_id=notice.pk, upload=upload, filename=upload.name)
        except DomainError as error:
            if error.status == 409:
                raise
            form.add_error("file", error.text())
        else:
            return None
    return {"attachment_form": form}


def _detach(request, actor, notice):
    attachment_id = request.POST.get("attachment_id", "")
    if not attachment_id.isdigit():
        raise NotFound()
    attachments.notice_attachment_delete(actor=actor, notice_id=notice.pk, attachment_id=int(attachment_id))
    return None


ACTIONS = {"save": ("change", _save), "publish": ("publish", _publish), "withdraw": ("withdraw", _withdraw),
           "attach": ("change", _attach), "detach": ("change", _detach)}


@estate_page
def console_detail(request, notice_id):
    """A notice in the console. A draft or a scheduled notice is edited here (text, audience, attachments) and
    published or scheduled; a published one is shown as it went out, with correction and withdrawal. Every form
    posts here with its ``action``; errors are shown in place."""
    actor = _console_actor(request)
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "delete":
            services.notice_delete(actor=actor, notice_id=notice.pk)
            return redirect("notices:console", actor.estate.pk)
        if action == "supersede":
            correction = services.notice_supersede(actor=actor, notice_id=notice.pk)
            return redirect("notices:console_detail", actor.estate.pk, correction.pk)
        if action not in ACTIONS:
            raise DomainError(code="unknown_action")
        permission, handler = ACTIONS[action]
        if not NoticePolicy.can(actor, permission, notice):
            raise Forbidden()
        failed = handler(request, actor, notice)
        if failed is None:
            return redirect("notices:console_detail", actor.estate.pk, notice.pk)
        notice = selectors.notice_get(actor=actor, notice_id=notice_id)
        return render_page(request, "notices/console_detail.html", _console_context(actor, notice, **failed),
                       status=400)
    return render_page(request, "notices/console_detail.html", _console_context(actor, notice))


@estate_page
def receipts(request, notice_id):
    """Read receipts: per building, read of reached, with a progress bar; the unread houses; the reminder button
    (posts here)."""
    actor = _console_actor(request, "receipts")
    notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    reminded = None
    if request.method == "POST":
        if not NoticePolicy.can(actor, "remind", notice):
            raise Forbidden()
        reminded = services.notice_remind(actor=actor, notice_id=notice.pk)
        notice = selectors.notice_get(actor=actor, notice_id=notice_id)
    building_id = request.GET.get("building")
    building_id = int(building_id) if building_id and building_id.isdigit() else None
    page = selectors.unread_houses_page(actor=actor, notice=notice, cursor=_cursor(request), limit=100,
                                        building_id=building_id)
    now = timezone.now()
    summary = selectors.receipts_summary(actor=actor, notice=notice)
    next_at = summary["next_remind_at"]
    return render_page(request, "notices/receipts.html", {
        "notice": notice, "data": notice_row_data(actor, notice, now), "summary": summary,
        "unread": page.items, "pager": pager(request, page), "building_id": building_id,
        "can_remind": NoticePolicy.can(actor, "remind") and (notice.important or notice.is_emergency)
        and notice.state(now) == NoticeState.CURRENT,
        "remind_blocked_until": next_at if next_at and next_at > now else None, "reminded": reminded,
    })
