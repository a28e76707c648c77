"""Who may see and do what with fees (DESIGN.md habit 5); the API, the pages, the menus and the tasks ask these.

- Fee items, rules and discounts: everyone in the estate may read them (fee items and rates are owed to owners,
  Civil Code art. 943); finance and the manager change them.
- Meters and readings: finance, the manager and technicians (who read meters on their rounds) enter readings;
  finance and the manager set meters up.
- Bills: finance, the manager and customer service see every house's; a resident sees the bills of the houses they
  currently live in or own (``resident_house_ids``). Bill runs and adjustments: finance and the manager.
- Payments: the cash desk, receipts and voids: finance and the manager; refunds: finance asks, the manager approves
  (never the same person). A resident pays online and downloads the receipts of their houses.
- Arrears, reminders and the collection rate: finance and the manager; the owners' committee sees the collection
  rate (aggregates, never a named house).
"""

from django.db.models import QuerySet

from gongzhi.accounts.choices import COMMITTEE_ROLES, RESIDENT_ROLES, Role
from gongzhi.core.access import Actor

FINANCE_ROLES = frozenset({Role.FINANCE, Role.MANAGER})
BILL_READ_ROLES = FINANCE_ROLES | {Role.CUSTOMER_SERVICE}
READING_ROLES = FINANCE_ROLES | {Role.TECHNICIAN}
REPORT_ROLES = FINANCE_ROLES | COMMITTEE_ROLES


def resident_house_ids(actor: Actor) -> list[int]:
    """The houses whose bills the actor may see and pay as a resident: current residencies of their own person
    records (owner, co-owner, family, tenant)."""
    from gongzhi.estate.models import Residency

    if actor.user_id is None or not actor.has_any(RESIDENT_ROLES):
        return []
    return list(Residency.objects.current().filter(estate=actor.estate, person__user_id=actor.user_id)
                .order_by("house_id").values_list("house_id", flat=True).distinct())


class FeeRulePolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return actor.user_id is not None and (bool(actor.roles) or actor.is_platform_admin)
        if action in {"create", "change"}:
            return actor.has_any(FINANCE_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class MeterPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action in {"view", "read"}:  # read: enter a reading
            return actor.has_any(READING_ROLES)
        if action in {"create", "change", "import"}:
            return actor.has_any(FINANCE_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class BillPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            if actor.has_any(BILL_READ_ROLES):
                return True
            if obj is not None and getattr(obj, "house_id", None) is not None:
                return obj.house_id in resident_house_ids(actor)
            return bool(resident_house_ids(actor))
        if action in {"run", "adjust", "remind", "arrears", "export"}:
            return actor.has_any(FINANCE_ROLES)
        if action == "report":  # the collection rate
            return actor.has_any(REPORT_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action == "view" and not actor.has_any(BILL_READ_ROLES):
            return qs.filter(house_id__in=resident_house_ids(actor))
        return qs if cls.can(actor, action) else qs.none()


class PaymentPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            if actor.has_any(BILL_READ_ROLES):
                return True
            if obj is not None and getattr(obj, "house_id", None) is not None:
                return obj.house_id in resident_house_ids(actor)
            return bool(resident_house_ids(actor))
        if action == "pay_online":
            return bool(resident_house_ids(actor)) or actor.has_any(FINANCE_ROLES)
        if action in {"record", "void", "request_refund"}:
            return actor.has_any(FINANCE_ROLES)
        if action == "approve_refund":
            return actor.has_any({Role.MANAGER})
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action == "view" and not actor.has_any(BILL_READ_ROLES):
            return qs.filter(house_id__in=resident_house_ids(actor))
        return qs if cls.can(actor, action) else qs.none()
