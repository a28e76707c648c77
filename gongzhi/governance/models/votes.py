"""Owners' votes (业主共同决定): the vote, its items and options, the frozen roll, proxies, ballots.

The roll is frozen when the vote opens (one ``RollEntry`` per house, with its voting area and headcount unit) and
the tally is a pure function of the roll and the ballots, so anyone can recompute it from what is published.
Ballots are append-only: a change of mind is a new ballot, and which ballot counts for a house and item is decided
by the precedence rules recorded on the vote (``gongzhi.governance.tally``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import BallotForm, Channel, HeadKind, Matter, VoteKind, VoteStatus

AREA = {"max_digits": 12, "decimal_places": 2}


def document_path(instance: "VoteDocument", filename: str) -> str:
    return f"governance/{instance.estate_id}/{filename}"


class VoteDocument(TenantModel):
    """A scan a vote rests on: a written ballot, a proxy's written authorisation, the notice as posted. Served only
    through access-checked views (it carries signatures), never from /media/. Append-only."""

    policy = "gongzhi.governance.policies.VotePolicy"

    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("vote document")
        verbose_name_plural = _("vote documents")

    def __str__(self) -> str:
        return self.name


class Vote(TenantModel):
    """One owners' vote with one or more items. ``rules`` is the rule set snapshot taken when it opens (fractions
    as strings, the channel precedence, the non-voter clause); the tally is computed under it, never under the
    estate's current settings."""

    policy = "gongzhi.governance.policies.VotePolicy"

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=VoteKind.choices, default=VoteKind.ASSEMBLY)
    status = models.CharField(_("status"), max_length=16, choices=VoteStatus.choices, default=VoteStatus.DRAFT)
    # Open ballot (the default for owners' assemblies): the per-house ballot list is published after the close.
    secret = models.BooleanField(_("secret ballot"), default=False)
    # For a maintenance-fund project the electorate is its charge scope only.
    fund_project = models.ForeignKey("ledger.FundProject", verbose_name=_("maintenance fund project"), null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="votes")
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The rule set: the jurisdiction profile's name (marked when the estate overrides a rule) and the snapshot.
    rule_set = models.CharField(_("rule set"), max_length=60, blank=True)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    # The non-voter clause, when the covenant or the assembly rules enable it: where it is written.
    non_voter_clause = models.CharField(_("non-voter clause"), max_length=200, blank=True)
    # The frozen roll's totals and digest (SHA-256 of its canonical published form).
    total_area_m2 = models.DecimalField(_("total voting area (m²)"), null=True, blank=True, **AREA)
    total_heads = models.PositiveIntegerField(_("total headcount"), null=True, blank=True)
    roll_sha256 = models.CharField(_("roll SHA-256"), max_length=64, blank=True)
    # The published result (every item's tally) and its digest.
    result = models.JSONField(_("result"), null=True, blank=True)
    result_sha256 = models.CharField(_("result SHA-256"), max_length=64, blank=True)
    notice = models.ForeignKey("notices.Notice", verbose_name=_("notice"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    result_notice = models.ForeignKey("notices.Notice", verbose_name=_("result notice"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("owners' vote")
        verbose_name_plural = _("owners' votes")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="gov_vote_closes_after"),
            models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="gov_vote_idempotency"),
        ]
        indexes = [models.Index(fields=["estate", "status", "-id"], name="gov_vote_status"),
                   models.Index(fields=["status", "closes_at"], name="gov_vote_due")]

    def __str__(self) -> str:
        return self.title


class VoteExtension(TenantModel):
    """A deadline extension, with the notice that announced it. Append-only."""

    policy = "gongzhi.governance.policies.VotePolicy"

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="extensions")
    old_closes_at = models.DateTimeField(_("closed at"))
    new_closes_at = models.DateTimeField(_("now closes at"))
    reason = models.CharField(_("reason"), max_length=200)
    notice = models.ForeignKey("notices.Notice", verbose_name=_("notice"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    extended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote extension")
        verbose_name_plural = _("vote extensions")


class VoteItem(TenantModel):
    """One question on the vote: its art. 278 matter (which fixes the approval rule) and its ballot form."""

    policy = "gongzhi.governance.policies.VotePolicy"

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    matter = models.CharField(_("matter"), max_length=16, choices=Matter.choices)
    form = models.CharField(_("ballot form"), max_length=16, choices=BallotForm.choices, default=BallotForm.YES_NO)
    # Elections: the seats to fill (the owners' committee: 5-11, an odd number).
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)

    class Meta:
        verbose_name = _("vote item")
        verbose_name_plural = _("vote items")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["vote", "position"], name="gov_item_position")]

    def __str__(self) -> str:
        return self.title


class VoteOption(TenantModel):
    """An option of a choose-one item, or a candidate of an election (a person of the registry)."""

    policy = "gongzhi.governance.policies.VotePolicy"

    item = models.ForeignKey(VoteItem, on_delete=models.PROTECT, related_name="options")
    position = models.PositiveSmallIntegerField(_("number"))
    label = models.CharField(_("option"), max_length=200)
    person = models.ForeignKey("estate.Person", verbose_name=_("candidate"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(_("statement"), blank=True)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="gov_option_position")]

    def __str__(self) -> str:
        return self.label


class RollEntry(TenantModel):
    """One house on the frozen roll. Append-only: written once when the vote opens.

    ``head_unit`` names the headcount unit the house belongs to (houses sharing an owner, or all the developer's
    houses, share one unit and count once); ``owners`` keeps the owners' person ids and names as they were."""

    policy = "gongzhi.governance.policies.VotePolicy"

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="roll")
    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    house_code = models.CharField(_("house"), max_length=64)
    area_m2 = models.DecimalField(_("voting area (m²)"), **AREA)
    area_source = models.CharField(_("area source"), max_length=16)
    head_unit = models.CharField(_("headcount unit"), max_length=40)
    head_kind = models.CharField(_("headcount"), max_length=16, choices=HeadKind.choices)
    representative = models.ForeignKey("estate.Person", verbose_name=_("representative"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    owners = models.JSONField(_("owners"), default=list, blank=True)

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("voter roll")
        constraints = [models.UniqueConstraint(fields=["vote", "house"], name="gov_roll_house")]
        indexes = [models.Index(fields=["vote", "head_unit"], name="gov_roll_unit")]

    def __str__(self) -> str:
        return self.house_code


class Proxy(TenantModel):
    """A written authorisation for one vote: the principal (an owner of the house) lets the agent vote for the
    house on the listed items (all items when empty). Needs the scan of the signed authorisation. A revocation is
    recorded, never a deletion."""

    policy = "gongzhi.governance.policies.VotePolicy"

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="proxies")
    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    principal = models.ForeignKey("estate.Person", verbose_name=_("principal"), on_delete=models.PROTECT,
                                  related_name="+")
    agent = models.ForeignKey("estate.Person", verbose_name=_("agent"), on_delete=models.PROTECT, related_name="+")
    items = models.JSONField(_("items"), default=list, blank=True)
    document = models.ForeignKey(VoteDocument, verbose_name=_("written authorisation"), on_delete=models.PROTECT,
                                 related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        constraints = [models.UniqueConstraint(fields=["vote", "house"], condition=Q(revoked_at__isnull=True),
                                               name="gov_proxy_one_active")]


class Ballot(TenantModel):
    """One answer for one house on one item, through one channel. Append-only (migration 0001).

    Which ballot counts for a house and item is computed, never stored: with the written-over-online setting, a
    written or on-site ballot beats any online one; otherwise, and within a rank, the latest (highest id) counts.
    A later ballot that takes a house's place records ``replaces`` and why. Ballots cast together share a receipt
    code; only its SHA-256 is stored, so a leaked table cannot be used to claim someone else's receipt."""

    policy = "gongzhi.governance.policies.VotePolicy"

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    item = models.ForeignKey(VoteItem, on_delete=models.PROTECT, related_name="ballots")
    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # yes_no: "for" / "against" / "abstain"; choose_one: [option id]; election: [option ids] (at most the seats;
    # an empty list is a blank ballot, which participates and abstains).
    choice = models.CharField(_("choice"), max_length=16, blank=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    voter = models.ForeignKey("estate.Person", verbose_name=_("voter"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    proxy = models.ForeignKey(Proxy, verbose_name=_("proxy"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ballots")
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    scan = models.ForeignKey(VoteDocument, verbose_name=_("scan"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    replaces = models.ForeignKey("self", verbose_name=_("replaces"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    replace_reason = models.CharField(_("why replaced"), max_length=200, blank=True)
    receipt_sha256 = models.CharField(_("receipt"), max_length=64, db_index=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.CheckConstraint(condition=~Q(channel="written") | Q(scan__isnull=False),
                                   name="gov_ballot_written_has_scan"),
            models.UniqueConstraint(fields=["vote", "item", "house", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="gov_ballot_idempotency"),
        ]
        indexes = [models.Index(fields=["vote", "item", "house"], name="gov_ballot_house")]
