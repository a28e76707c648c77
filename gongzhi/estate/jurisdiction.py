"""Rule sets by jurisdiction. Figures are DOMAIN.md's national defaults; an estate may override any of them,
and every decision records the rule set it was made under.

Fractions are strings ("2/3") so that they stay exact (never floats) and JSON-serialisable.
"""

from django.utils.translation import gettext_lazy as _

DEFAULT_PROFILE = "national"

NATIONAL_RULES = {
    # 民法典 art. 278: participation floors, both by area and by headcount.
    "vote.participation_area": "2/3",
    "vote.participation_heads": "2/3",
    # Matters (6), (7), (8): at least 3/4 of participating area and headcount.
    "vote.special_majority": "3/4",
    # Everything else: more than 1/2 of participating area and headcount.
    "vote.simple_majority": "1/2",
    "vote.parking_spaces_count": False,
    "vote.non_voters_follow_majority": False,
    "vote.written_ballot_overrides_online": True,
    # Temporary assembly: 20 % of area and headcount may request it; 15 days' notice.
    "assembly.request_area": "1/5",
    "assembly.request_heads": "1/5",
    "assembly.notice_days": 15,
    # The owners' committee schedules a reached temporary-assembly request within this many days (it is reminded
    # after that); houses that have not voted are reminded at most every this many days while a vote is open.
    "assembly.schedule_within_days": 30,
    "vote.reminder_every_days": 3,
    # Residents' council: a proposal with this many co-signers reaches the council's agenda.
    "council.proposal_cosigners": 10,
    # Maintenance fund: top-up when a house's balance falls below 30 % of its initial deposit.
    "fund.top_up_below": "3/10",
    "fund.use_needs_two_thirds_of_scope": False,
    # Initial deposit: this share (5-8 %) of the local construction cost per m², times the house's building area.
    # The cost has no national figure: each estate sets it (the deposit service refuses while it is 0).
    "fund.deposit_share_of_cost": "1/20",
    "fund.construction_cost_per_m2": "0",
    # Ledger: an expense above this amount (yuan) needs a supporting document (0: every expense does), and above
    # this one the owners' committee's approval; the residents' committee liaison may read the public ledger when on.
    "ledger.expense_document_over": "0",
    "ledger.expense_approval_over": "10000",
    "ledger.public_to_rc_liaison": False,
    # Late fees: contractual, no national rate. Daily rate as a fraction of the overdue amount ("1/2000" is 0.05 %
    # a day), from the due date plus the grace days; the cap is a share of the overdue amount (the whole of it by
    # default: a late fee never exceeds the debt).
    "fees.late_fee_daily_rate": "0",
    "fees.late_fee_grace_days": 0,
    "fees.late_fee_cap": "1",
    # Bills fall due this many days after they are issued; the tenant pays where the estate says so; houses held by
    # the developer are billed to the developer under this name.
    "fees.due_days": 30,
    "fees.tenant_pays": False,
    "fees.developer_name": "开发商",
    # Meter readings: the largest believable consumption between two readings of one meter (a typo guard).
    "fees.reading_max_jump": {"water": "200", "electricity": "5000", "gas": "500"},
    # Arrears reminders: at most one per house every this many days, from this many days overdue.
    "fees.reminder_every_days": 30,
    "fees.reminder_after_days": 7,
    # Tickets: a resolved or closed ticket may be sent back (reopened) within this many days of its resolution.
    "tickets.reopen_days": 7,
    # A resolved ticket nobody rates is closed after this many days, without a rating (never a made-up score).
    "tickets.auto_close_days": 7,
    # Follow-up visits (回访): every rating at or below this score, and this share of the other closed tickets.
    "tickets.follow_up_max_score": 2,
    "tickets.follow_up_sample": "1/10",
    # SLA: a ticket is at risk when this share of its target time or less is left; the manager is told when a
    # breach has run on for this share of the target again.
    "tickets.sla_at_risk_share": "1/5",
    "tickets.sla_manager_after_share": "1/2",
    # New tickets are assigned automatically (skill, duty rota, least open work) when the estate turns this on.
    "tickets.auto_dispatch": False,
}

JURISDICTION_PROFILES = {
    DEFAULT_PROFILE: {"label": _("National defaults"), "rules": NATIONAL_RULES},
    # Some cities still require 2/3 of the charge scope's area and headcount for maintenance-fund use.
    "fund_two_thirds": {
        "label": _("National, maintenance-fund use needs 2/3 of the charge scope"),
        "rules": {**NATIONAL_RULES, "fund.use_needs_two_thirds_of_scope": True},
    },
}
