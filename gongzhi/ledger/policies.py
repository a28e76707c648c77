"""Who may see and do what in the ledger (DESIGN.md habit 5); the API, the pages, the menus and the tasks ask these.

- Posting (entries, public revenue, expenses, fund deposits, interest, project payments) and closing periods:
  finance and the property manager.
- Approving an expense above the threshold, and recording an owners' decision: the owners' committee (chair or
  member); the money belongs to the owners (Civil Code arts. 281-283).
- The public ledger and the disclosure reports: owners, the owners' committee, finance and the manager; the
  residents' committee liaison too when the estate turns on ``ledger.public_to_rc_liaison``. Family members and
  tenants are not owners: the funds are the owners'.
- Staff-only fields (a resident's name as counterparty, staff notes, who exactly posted, staff-only documents):
  finance, the manager, and the committee, which oversees the accounts; never on the owners' public page.
- A house's maintenance-fund sub-account: its owners, plus everyone who may read the ledger (the per-house
  statement is published at least yearly, DOMAIN.md).
"""

from django.db.models import QuerySet

from gongzhi.accounts.choices import COMMITTEE_ROLES, Role
from gongzhi.core.access import Actor

POST_ROLES = frozenset({Role.FINANCE, Role.MANAGER})
APPROVE_ROLES = COMMITTEE_ROLES
PRIVATE_ROLES = POST_ROLES | COMMITTEE_ROLES
READ_ROLES = POST_ROLES | COMMITTEE_ROLES | {Role.OWNER}
RULE_RC_LIAISON = "ledger.public_to_rc_liaison"


def _reads(actor: Actor) -> bool:
    if actor.has_any(READ_ROLES):
        return True
    return Role.RC_LIAISON in actor.roles and bool(actor.estate.rules().get(RULE_RC_LIAISON, False))


class LedgerPolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action in {"view", "verify", "export", "disclosure"}:
            return _reads(actor)
        if action == "view_private":
            return actor.has_any(PRIVATE_ROLES)
        if action in {"post", "reverse", "close", "upload"}:
            return actor.has_any(POST_ROLES)
        if action == "approve":
            return actor.has_any(APPROVE_ROLES)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class FundPolicy(LedgerPolicy):
    """Maintenance-fund projects and reminders: the same readers and writers as the ledger."""
