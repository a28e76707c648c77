"""Ledger error codes, each with a message in the product's languages."""

from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Conflict, DomainError

UNBALANCED = "unbalanced"
PERIOD_CLOSED = "period_closed"


def invalid(field: str, reason, **params) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field, **params},
                       field=field, reason=reason)


def unbalanced(debits, credits) -> DomainError:
    return DomainError(_("The entry does not balance: debits %(debits)s, credits %(credits)s."),
                       code=UNBALANCED, detail={"debits": str(debits), "credits": str(credits)},
                       debits=debits, credits=credits)


def period_closed(date, closed_through) -> Conflict:
    return Conflict(_("The period of %(date)s is closed (closed through %(closed)s): post a correction dated in "
                      "an open period instead."), code=PERIOD_CLOSED,
                    detail={"date": date.isoformat(), "closed_through": closed_through.isoformat()},
                    date=date.isoformat(), closed=closed_through.isoformat())
