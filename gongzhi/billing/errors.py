"""Billing error codes, each with a message in the product's languages. Every helper takes the field it is about,
so a form, the API and the workbook import can point at it."""

from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Conflict, DomainError


def invalid(field: str, reason, **params) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field, **params},
                       field=field, reason=reason)


def period_closed(period_end, closed_through) -> Conflict:
    return Conflict(_("The period ending %(end)s is closed in the books (closed through %(closed)s): bills cannot be "
                      "issued for it any more."), code="period_closed",
                    detail={"period_end": period_end.isoformat(), "closed_through": closed_through.isoformat()},
                    end=period_end.isoformat(), closed=closed_through.isoformat())


def key_reused(key: str) -> Conflict:
    return Conflict(_("The idempotency key %(key)s was already used for a different request."),
                    code="idempotency_key_reused", detail={"key": key}, key=key)
