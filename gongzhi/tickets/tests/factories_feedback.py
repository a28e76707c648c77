"""Factories for what comes after resolution: ratings, follow-up visits, quotes, their lines and repair charges."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.tickets.models import FollowUpVisit, Quote, QuoteLine, Rating, RepairCharge

from .factories import TicketFactory


class RatingFactory(factory.django.DjangoModelFactory):
    """A rating of a closed ticket (pass ``ticket`` for one of your own)."""

    class Meta:
        model = Rating

    ticket = factory.SubFactory(TicketFactory, status="closed")
    estate = factory.SelfAttribute("ticket.estate")
    round = factory.SelfAttribute("ticket.reopen_count")
    score = 4
    comment = "修得很好"
    rated_by = factory.SelfAttribute("ticket.submitted_by")
    assignee = factory.SelfAttribute("ticket.assignee")


class FollowUpVisitFactory(factory.django.DjangoModelFactory):
    """A pending follow-up visit of a closed ticket."""

    class Meta:
        model = FollowUpVisit

    ticket = factory.SubFactory(TicketFactory, status="closed")
    estate = factory.SelfAttribute("ticket.estate")
    round = factory.SelfAttribute("ticket.reopen_count")
    reason = "sample"
    created_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=2))


class QuoteFactory(factory.django.DjangoModelFactory):
    """A proposed quote of one labour line (add lines with QuoteLineFactory; ``total`` is not recomputed)."""

    class Meta:
        model = Quote

    ticket = factory.SubFactory(TicketFactory, status="in_progress")
    estate = factory.SelfAttribute("ticket.estate")
    status = "proposed"
    total = Decimal("80.00")
    proposed_by = factory.SubFactory(UserFactory)


class QuoteLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuoteLine

    quote = factory.SubFactory(QuoteFactory)
    estate = factory.SelfAttribute("quote.estate")
    kind = "labour"
    description = "上门维修"
    quantity = Decimal("1.00")
    unit_price = Decimal("80.00")
    amount = Decimal("80.00")


class RepairChargeFactory(factory.django.DjangoModelFactory):
    """The charge of an accepted quote."""

    class Meta:
        model = RepairCharge

    quote = factory.SubFactory(QuoteFactory, status="accepted", ticket__status="resolved")
    ticket = factory.SelfAttribute("quote.ticket")
    estate = factory.SelfAttribute("quote.estate")
    house = factory.SelfAttribute("quote.ticket.house")
    amount = factory.SelfAttribute("quote.total")


class BlindManager:
    """Stands in for ``Model.objects`` in a service module to play a race: the service's "is there one already?"
    check sees nothing (as when a concurrent transaction has not committed yet), its writes reach the real table,
    where the unique constraint has the last word."""

    def __init__(self, model):
        self.model = model

    def filter(self, *args, **kwargs):
        return self.model.objects.none()

    def __getattr__(self, name):
        return getattr(self.model.objects, name)


def blind(model):
    """A stand-in for ``model`` whose manager is a ``BlindManager`` (monkeypatch it into the service module)."""
    return type(model.__name__, (), {"objects": BlindManager(model), "DoesNotExist": model.DoesNotExist})
