"""Residents' proposals to the council (议事会): write, co-sign, withdraw; the co-signer threshold
(``council.proposal_cosigners``, default 10) puts a proposal on the council's agenda. Meetings are in
``council_meetings``."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .council_policies import CouncilPolicy
from .models import Proposal, ProposalCosign
from .models.council import ProposalStatus

DEFAULT_COSIGNERS = 10
ON_AGENDA_TITLE = _("Your proposal is on the council's agenda: %(title)s")
ON_AGENDA_BODY = _("%(n)s residents co-signed it; the residents' council will discuss it at a meeting.")


def cosigners_needed(estate) -> int:
    return int(estate.rules().get("council.proposal_cosigners", DEFAULT_COSIGNERS))


def _field(field: str, message) -> DomainError:
    return DomainError(message, code="invalid_field", detail={"field": field})


# --- reads -----------------------------------------------------------------------------------------------------

def proposal_list(*, actor: Actor, status: str = "") -> QuerySet:
    qs = (Proposal.objects.restrict(actor, "view").select_related("author")
          .annotate(cosigners=Count("cosigns"),
                    cosigned_by_me=Exists(ProposalCosign.objects.filter(proposal=OuterRef("pk"),
                                                                        user_id=actor.user_id))))
    return qs.filter(status=status) if status else qs


def proposal_get_for_actor(*, actor: Actor, proposal_id: int) -> Proposal:
    proposal = proposal_list(actor=actor).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound()
    return proposal


# --- writes ----------------------------------------------------------------------------------------------------

@transaction.atomic
def proposal_create(*, actor: Actor, title: str, body: str, idempotency_key: str = "") -> Proposal:
    if not CouncilPolicy.can(actor, "propose"):
        raise Forbidden(_("Only residents (owners, family members, tenants) write proposals."), code="not_a_resident")
    if idempotency_key:
        existing = Proposal.objects.filter(estate=actor.estate, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise _field("title", _("title: give the proposal a title."))
    if len(title) > 120:
        raise _field("title", _("title: at most 120 characters."))
    if not body:
        raise _field("body", _("body: say what you propose and why."))
    proposal = Proposal.objects.create(estate=actor.estate, title=title, body=body, author=actor.user,
                                       idempotency_key=idempotency_key)
    audit(user=actor.user, estate=actor.estate, action="proposal.create", obj=proposal,
          after=snapshot(proposal, ["title", "status"]))
    return proposal


def _locked(actor: Actor, proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(estate=actor.estate, pk=proposal_id).first()
    if proposal is None:
        raise NotFound()
    return proposal


@transaction.atomic
def proposal_cosign(*, actor: Actor, proposal_id: int) -> Proposal:
    """One co-signature per person; at the estate's threshold the proposal goes on the agenda and its author is
    notified (kind COUNCIL)."""
    proposal = _locked(actor, proposal_id)  # another estate's proposal: 404 before any refusal
    if not CouncilPolicy.can(actor, "cosign"):
        raise Forbidden(_("Only residents co-sign proposals."), code="not_a_resident")
    if proposal.author_id == actor.user_id:
        raise Conflict(_("You wrote this proposal; others co-sign it."), code="own_proposal")
    if proposal.status != ProposalStatus.COLLECTING:
        raise Conflict(_("This proposal is no longer collecting co-signers."), code="proposal_not_collecting",
                       detail={"status": proposal.status})
    if ProposalCosign.objects.filter(proposal=proposal, user=actor.user).exists():
        raise Conflict(_("You have already co-signed this proposal."), code="already_cosigned")
    try:
        with transaction.atomic():
            ProposalCosign.objects.create(estate=actor.estate, proposal=proposal, user=actor.user)
    except IntegrityError:  # a concurrent double click
        raise Conflict(_("You have already co-signed this proposal."), code="already_cosigned") from None
    count = ProposalCosign.objects.filter(proposal=proposal).count()
    audit(user=actor.user, estate=actor.estate, action="proposal.cosign", obj=proposal, after={"cosigners": count})
    if count >= cosigners_needed(actor.estate):
        proposal.status, proposal.on_agenda_at = ProposalStatus.ON_AGENDA, timezone.now()
        proposal.save(update_fields=["status", "on_agenda_at"])
        audit(user=actor.user, estate=actor.estate, action="proposal.on_agenda", obj=proposal,
              after={"status": proposal.status, "cosigners": count})
        estate, author, url = actor.estate, proposal.author, f"/e/{actor.estate.pk}/governance/proposals/{proposal.pk}/"
        params = {"title": proposal.title, "n": count}
        transaction.on_commit(lambda: notify(estate=estate, users=[author], kind=NotificationKind.COUNCIL,
                                             title=ON_AGENDA_TITLE, body=ON_AGENDA_BODY, url=url, params=params))
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor: Actor, proposal_id: int) -> Proposal:
    """The author withdraws a proposal before it reaches the agenda. Withdrawing twice is a no-op."""
    proposal = _locked(actor, proposal_id)
    if not CouncilPolicy.can(actor, "withdraw", proposal):
        raise Forbidden(_("Only the author may withdraw a proposal."), code="not_author")
    if proposal.status == ProposalStatus.WITHDRAWN:
        return proposal
    if proposal.status != ProposalStatus.COLLECTING:
        raise Conflict(_("The proposal is already on the council's agenda and cannot be withdrawn."),
                       code="proposal_on_agenda", detail={"status": proposal.status})
    proposal.status, proposal.withdrawn_at = ProposalStatus.WITHDRAWN, timezone.now()
    proposal.save(update_fields=["status", "withdrawn_at"])
    audit(user=actor.user, estate=actor.estate, action="proposal.withdraw", obj=proposal,
          before={"status": ProposalStatus.COLLECTING}, after={"status": proposal.status})
    return proposal
