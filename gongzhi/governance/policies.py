"""Who may see and do what in owners' votes (DESIGN.md habit 5); the API, the pages, the menus and the tasks ask
these.

- Organising a vote (draft, items, candidates, opening, extension, closing, publishing), and entering written or
  on-site ballots and proxies with their scans: the owners' committee, which convenes the assembly, and the
  property manager and customer service, who help it run (业主大会议事规则: the committee may entrust the company).
- Reading a vote, its frozen roll, progress and result: every member of the estate (the result is published as a
  notice). The per-house ballot list after the close: every member when the vote is open-ballot, nobody when it
  is secret (the committee sees only the tally).
- Casting a ballot online: the representative of a house on the roll, or the agent of a recorded proxy. A family
  member or tenant without a proxy cannot (DOMAIN.md "Owners' votes").
- Scans (signed ballots, written authorisations) carry signatures: the organisers only.
"""

from django.db.models import QuerySet

from gongzhi.accounts.choices import COMMITTEE_ROLES, Role
from gongzhi.core.access import Actor

ORGANISE_ROLES = COMMITTEE_ROLES | {Role.MANAGER, Role.CUSTOMER_SERVICE}


class VotePolicy:
    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action in {"view", "results", "check_receipt"}:
            return bool(actor.roles)
        if action in {"organise", "enter_ballot", "record_proxy", "view_scans", "view_progress_detail"}:
            return actor.has_any(ORGANISE_ROLES)
        if action == "cast":
            # Whether this person may cast for a given house is decided by the ballot service against the roll.
            return bool(actor.roles)
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()
