"""Paid private repairs (issue 3): the technician (or the desk) quotes materials and labour, the household accepts or
declines, and when the ticket is resolved the accepted amount becomes a ``RepairCharge`` for the billing system
(``gongzhi.tickets.charges``).

Money is ``Decimal`` yuan with 2 places: each line's amount is quantity × unit price rounded ROUND_HALF_UP to the
fen, and the total is the sum of the rounded lines (DESIGN.md §1). The charge is made by the receiver of
``signals.ticket_transitioned`` below, so this module must be imported at start-up (``TicketsConfig.ready``).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import RESIDENT_ROLES, Role
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.normalize import clean_text
from gongzhi.core.pagination import Page, paginate
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .charges import charge_hand_over
from .choices import Action, ChargeStatus, QuoteLineKind, QuoteStatus, Scope, TicketKind, TicketStatus
from .feedback import NOTE_MAX, _invalid, _locked_ticket, _text, party_tickets
from .models import Quote, QuoteLine, RepairCharge, Ticket
from .policies import is_assignee, is_desk, is_household, is_staff
from .signals import ticket_transitioned

FEN = Decimal("0.01")
MAX_LINES = 50
DESCRIPTION_MAX = 120
# The largest values the columns hold (DecimalField max_digits 10 and 12, 2 places).
MAX_QUANTITY = Decimal("99999999.99")
MAX_MONEY = Decimal("9999999999.99")
# A quote is made, and accepted, while the work is on: after the technician accepted the ticket, before it is
# resolved.
QUOTABLE = frozenset({TicketStatus.ACCEPTED, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD})
LIVE = (QuoteStatus.PROPOSED, QuoteStatus.ACCEPTED)
# Who sees the repair charges of the whole estate.
CHARGE_ROLES = frozenset({Role.MANAGER, Role.FINANCE})


class QuotePolicy:
    """Quotes, their lines and the charges they become are seen by the desk, the technician assigned to the ticket
    and the household (``feedback.party_tickets``), and by finance; the assignee or the desk proposes and withdraws,
    only the household decides, finance and the managers list the charges."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return is_staff(actor) or actor.has_any(RESIDENT_ROLES | CHARGE_ROLES)
        if action == "propose":  # obj: the ticket
            return obj is not None and (is_desk(actor) or is_assignee(actor, obj))
        if action == "withdraw":  # obj: the quote
            return obj is not None and (is_desk(actor) or is_assignee(actor, obj.ticket)
                                        or obj.proposed_by_id == actor.user_id)
        if action == "decide":  # obj: the ticket
            return obj is not None and is_household(actor, obj)
        if action == "charges":
            return actor.has_any(CHARGE_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action != "view" or not cls.can(actor, "view"):
            return qs.none()
        if actor.has_any(CHARGE_ROLES):
            return qs
        field = "quote__ticket" if qs.model is QuoteLine else "ticket"
        return qs.filter(**{f"{field}__in": party_tickets(actor)})


# --- lines and money ---------------------------------------------------------------------------------------------
def _money(field: str, value, *, positive: bool, largest: Decimal) -> Decimal:
    """A decimal with at most 2 places: more than 0 (``positive``) or at least 0, at most ``largest``. Floats are
    read by their shortest text (0.1 is 0.1), never by their binary value."""
    if isinstance(value, bool) or value is None or value == "":
        raise _invalid(field, _("is required"))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("is not a number")) from None
    if not number.is_finite():
        raise _invalid(field, _("is not a number"))
    if positive and number <= 0:
        raise _invalid(field, _("must be more than 0"))
    if number < 0:
        raise _invalid(field, _("must not be negative"))
    if number > largest:
        raise _invalid(field, _("is too large"))
    if number != number.quantize(FEN):
        raise _invalid(field, _("has more than 2 decimal places"))
    return number.quantize(FEN)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """quantity × unit price, rounded half up to the fen: 1.5 × 0.67 = 1.005 → 1.01."""
    return (quantity * unit_price).quantize(FEN, rounding=ROUND_HALF_UP)


def _lines(lines) -> list[dict]:
    if not isinstance(lines, list | tuple) or not lines:
        raise _invalid("lines", _("a quote needs at least one line"))
    if len(lines) > MAX_LINES:
        raise DomainError(_("A quote has at most %(max)s lines."), code="too_many_lines",
                          detail={"field": "lines", "max": MAX_LINES}, max=MAX_LINES)
    parsed = []
    for index, line in enumerate(lines):
        if hasattr(line, "dict"):  # an API schema
            line = line.dict()
        if not isinstance(line, dict):
            raise _invalid(f"lines[{index}]", _("is not a quote line"))
        kind = line.get("kind")
        if kind not in QuoteLineKind.values:
            raise _invalid(f"lines[{index}].kind", _("is not one of the allowed values"))
        description = clean_text(line.get("description"))
        if not description:
            raise _invalid(f"lines[{index}].description", _("is required"))
        if len(description) > DESCRIPTION_MAX:
            raise _invalid(f"lines[{index}].description", _("is too long"))
        quantity = _money(f"lines[{index}].quantity", line.get("quantity"), positive=True, largest=MAX_QUANTITY)
        unit_price = _money(f"lines[{index}].unit_price", line.get("unit_price"), positive=False,
                            largest=MAX_MONEY)
        amount = line_amount(quantity, unit_price)
        if amount > MAX_MONEY:
            raise _invalid(f"lines[{index}]", _("is too large"))
        parsed.append({"kind": kind, "description": description, "quantity": quantity, "unit_price": unit_price,
                       "amount": amount})
    if sum(line["amount"] for line in parsed) > MAX_MONEY:
        raise _invalid("lines", _("the total is too large"))
    return parsed


# --- writes ------------------------------------------------------------------------------------------------------
def _household_users(ticket: Ticket) -> list:
    """Who hears of a quote: the resident who reported the problem (or the one the desk reported it for)."""
    if ticket.on_behalf_of_person_id:
        return [ticket.on_behalf_of_person.user] if ticket.on_behalf_of_person.user_id else []
    return [ticket.submitted_by]


def _quote_data(quote: Quote, lines: list[dict] | None = None) -> dict:
    data = snapshot(quote, ["ticket_id", "status", "total", "note", "proposed_by_id", "decided_by_id",
                            "decided_at"])
    if lines is not None:
        data["lines"] = [{key: str(value) for key, value in line.items()} for line in lines]
    return data


def _withdraw(actor: Actor, quote: Quote, now) -> None:
    if RepairCharge.objects.filter(quote=quote).exists():
        raise Conflict(_("This quote has already become a charge; it can no longer be withdrawn or replaced."),
                       code="quote_charged")
    before = _quote_data(quote)
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.WITHDRAWN)
    quote.status = QuoteStatus.WITHDRAWN
    audit(user=actor.user, estate=actor.estate, action="quote.withdraw", obj=quote, before=before,
          after=_quote_data(quote))


@transaction.atomic
def quote_propose(*, actor: Actor, ticket_id: int, lines: list[dict], note: str = "") -> Quote:
    """The assigned technician or the desk quotes a private repair while the work is on (accepted, in progress or
    on hold): up to 50 lines of ``{kind: material|labour, description, quantity, unit_price}`` (Decimal, 2 places;
    quantity more than 0, unit price in yuan at least 0). A new quote withdraws the live one. The household is
    told."""
    ticket = _locked_ticket(actor, ticket_id)
    if not QuotePolicy.can(actor, "propose", ticket):
        raise Forbidden(_("Only the assigned technician or the service desk quotes for this repair."),
                        code="not_your_ticket")
    if ticket.kind != TicketKind.REPAIR or ticket.scope != Scope.PRIVATE:
        raise DomainError(_("Only a repair inside a house is quoted and paid for by its household."),
                          code="not_private_repair")
    if ticket.status not in QUOTABLE:
        raise Conflict(_("The ticket is “%(state)s”: a quote is made while the work is on."), code="quote_not_now",
                       detail={"status": ticket.status}, state=TicketStatus(ticket.status).label)
    parsed = _lines(lines)
    note = _text("note", note, NOTE_MAX)
    now = timezone.now()
    for live in Quote.objects.select_for_update().filter(ticket=ticket, status__in=LIVE):
        _withdraw(actor, live, now)
    quote = Quote.objects.create(estate=actor.estate, ticket=ticket, total=sum(line["amount"] for line in parsed),
                                 note=note, proposed_by=actor.user, proposed_at=now)
    QuoteLine.objects.bulk_create([QuoteLine(estate=actor.estate, quote=quote, **line) for line in parsed])
    audit(user=actor.user, estate=actor.estate, action="quote.propose", obj=quote, after=_quote_data(quote, parsed))
    users = [u for u in _household_users(ticket) if u is not None and u.pk != actor.user_id]
    if users:
        notify(estate=actor.estate, users=users, kind=NotificationKind.QUOTE,
               title=_("A quote for ticket %(number)s"),
               body=_("The repair “%(title)s” (%(number)s) is quoted at %(total)s yuan. Please accept or decline "
                      "it in the portal."),
               params={"number": ticket.number, "title": ticket.title, "total": f"{quote.total:.2f}"})
    return quote


def _locked_quote(actor: Actor, quote_id: int) -> Quote:
    """The quote, locked (its row only); 404 when the actor may not see it."""
    if not Quote.objects.restrict(actor).filter(pk=quote_id).exists():
        raise NotFound()
    return (Quote.objects.select_for_update(of=("self",))
            .select_related("ticket", "ticket__on_behalf_of_person", "ticket__assignee").get(pk=quote_id))


@transaction.atomic
def quote_decide(*, actor: Actor, quote_id: int, accept: bool, note: str = "") -> Quote:
    """The household accepts or declines a proposed quote (staff: 403; anyone else: 404). The same decision again
    returns the quote unchanged; the other one, or deciding a withdrawn quote, is 409. Accepting needs the work to
    be still on (409 ``quote_not_now``). The technician is told."""
    quote = _locked_quote(actor, quote_id)
    ticket = quote.ticket
    if not QuotePolicy.can(actor, "decide", ticket):
        raise Forbidden(_("Only the household decides on a quote."), code="not_your_ticket")
    wanted = QuoteStatus.ACCEPTED if accept else QuoteStatus.DECLINED
    if quote.status == wanted:
        return quote
    if quote.status != QuoteStatus.PROPOSED:
        raise Conflict(_("The quote is “%(state)s”: it cannot be decided on again."), code="quote_decided",
                       detail={"status": quote.status}, state=QuoteStatus(quote.status).label)
    if accept and ticket.status not in QUOTABLE:
        raise Conflict(_("The ticket is “%(state)s”: a quote is accepted while the work is on."),
                       code="quote_not_now", detail={"status": ticket.status},
                       state=TicketStatus(ticket.status).label)
    note = _text("note", note, NOTE_MAX)
    before = _quote_data(quote)
    quote.status, quote.decided_by, quote.decided_at = wanted, actor.user, timezone.now()
    quote.save(update_fields=["status", "decided_by", "decided_at"])
    audit(user=actor.user, estate=actor.estate, action="quote.accept" if accept else "quote.decline", obj=quote,
          before=before, after={**_quote_data(quote), "decision_note": note})
    users = [u for u in (ticket.assignee, quote.proposed_by) if u is not None and u.pk != actor.user_id]
    if users:
        params = {"number": ticket.number, "total": f"{quote.total:.2f}", "note": note or "—"}
        if accept:
            title, body = (_("Quote accepted: %(number)s"),
                           _("The household accepted the quote of %(total)s yuan for %(number)s. Note: %(note)s"))
        else:
            title, body = (_("Quote declined: %(number)s"),
                           _("The household declined the quote of %(total)s yuan for %(number)s. Note: %(note)s"))
        notify(estate=actor.estate, users=users, kind=NotificationKind.QUOTE, title=title, body=body, params=params)
    return quote


@transaction.atomic
def quote_withdraw(*, actor: Actor, quote_id: int) -> Quote:
    """Who proposed it, the assignee or the desk takes a quote back (proposed or accepted, not yet charged).
    Withdrawing it again returns it unchanged; a declined or charged quote is 409."""
    quote = _locked_quote(actor, quote_id)
    if not QuotePolicy.can(actor, "withdraw", quote):
        raise Forbidden(_("Only the assigned technician or the service desk withdraws a quote."),
                        code="not_your_ticket")
    if quote.status == QuoteStatus.WITHDRAWN:
        return quote
    if quote.status not in LIVE:
        raise Conflict(_("The quote is “%(state)s”: it cannot be withdrawn."), code="quote_decided",
                       detail={"status": quote.status}, state=QuoteStatus(quote.status).label)
    _withdraw(actor, quote, timezone.now())
    users = [u for u in _household_users(quote.ticket) if u is not None and u.pk != actor.user_id]
    if users:
        notify(estate=actor.estate, users=users, kind=NotificationKind.QUOTE,
               title=_("Quote withdrawn: %(number)s"),
               body=_("The quote of %(total)s yuan for %(number)s was withdrawn."),
               params={"number": quote.ticket.number, "total": f"{quote.total:.2f}"})
    return quote


# --- the charge --------------------------------------------------------------------------------------------------
def charge_for_resolved(ticket: Ticket, *, actor: Actor | None = None, now=None) -> RepairCharge | None:
    """A resolved ticket with an accepted quote owes its total: record the charge once per quote (resolved again
    after a reopening, nothing more) and hand it to billing after commit. None when there is nothing to charge."""
    quote = Quote.objects.filter(ticket_id=ticket.pk, status=QuoteStatus.ACCEPTED).first()
    if quote is None or ticket.house_id is None or RepairCharge.objects.filter(quote=quote).exists():
        return None
    try:
        with transaction.atomic():
            charge = RepairCharge.objects.create(estate_id=ticket.estate_id, ticket=ticket, quote=quote,
                                                 house_id=ticket.house_id, amount=quote.total,
                                                 status=ChargeStatus.RECORDED, created_at=now or timezone.now())
    except IntegrityError:  # the same quote charged meanwhile
        return None
    audit(user=actor.user if actor else None, estate=ticket.estate, action="repair_charge.create", obj=charge,
          after=snapshot(charge, ["ticket_id", "quote_id", "house_id", "amount", "status"]))
    transaction.on_commit(lambda: charge_hand_over(charge.pk))
    return charge


@receiver(ticket_transitioned, dispatch_uid="gongzhi.tickets.quotes.charge_on_resolve")
def _charge_on_resolve(sender, ticket, action, actor=None, now=None, **kwargs) -> None:
    if action == Action.RESOLVE:
        charge_for_resolved(ticket, actor=actor, now=now)


# --- reads -------------------------------------------------------------------------------------------------------
def ticket_quotes(*, actor: Actor, ticket: Ticket) -> list[Quote]:
    """The ticket's quotes with their lines (and charge), oldest first; empty for who may not see them."""
    return list(Quote.objects.restrict(actor).filter(ticket=ticket)
                .select_related("proposed_by", "decided_by", "charge")
                .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("pk")))
                .order_by("proposed_at", "pk"))


def quote_get(*, actor: Actor, quote_id: int) -> Quote:
    quote = (Quote.objects.restrict(actor).select_related("proposed_by", "decided_by", "charge")
             .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("pk")))
             .filter(pk=quote_id).first())
    if quote is None:
        raise NotFound()
    return quote


def quote_get_of_ticket(*, actor: Actor, ticket_id: int, quote_id: int) -> Quote:
    """A quote as addressed under its ticket: 404 when it is not that ticket's (or not visible)."""
    quote = Quote.objects.restrict(actor).filter(pk=quote_id, ticket_id=ticket_id).first()
    if quote is None:
        raise NotFound()
    return quote


def charge_list(*, actor: Actor, status: str | None = None, cursor: str | None = None,
                limit: int | None = None) -> Page:
    """The estate's repair charges, newest first: for finance and the managers (403 for anyone else)."""
    if not QuotePolicy.can(actor, "charges"):
        raise Forbidden()
    qs = RepairCharge.objects.restrict(actor).select_related("ticket", "house__building", "house__unit")
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, cursor=cursor, limit=limit, descending=True)
