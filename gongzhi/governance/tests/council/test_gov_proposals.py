"""Stories of residents' proposals: write, co-sign (one per person), the threshold puts it on the agenda."""

import pytest

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.governance import council
from gongzhi.governance.models.council import ProposalStatus
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(estate, member, actor_of):
    def make(role="owner"):
        return actor_of(member(role, estate), estate)

    return make


def test_co_signers_reaching_the_threshold_put_it_on_the_agenda(estate, people, django_capture_on_commit_callbacks):
    # given a threshold of 3 co-signers and a tenant's proposal
    estate.rule_overrides = {"council.proposal_cosigners": 3}
    estate.save()
    author = people("tenant")
    proposal = council.proposal_create(actor=author, title="增设充电桩", body="Chargers in the garage, please.")
    # when two residents co-sign, it is still collecting
    for role in ("owner", "family"):
        council.proposal_cosign(actor=people(role), proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.COLLECTING
    # and the third puts it on the agenda and notifies the author (kind COUNCIL)
    with django_capture_on_commit_callbacks(execute=True):
        council.proposal_cosign(actor=people("tenant"), proposal_id=proposal.pk)
    proposal = council.proposal_get_for_actor(actor=author, proposal_id=proposal.pk)
    assert proposal.status == ProposalStatus.ON_AGENDA and proposal.cosigners == 3 and proposal.on_agenda_at
    assert Notification.objects.filter(user=author.user, kind="council").count() == 1


def test_default_threshold_is_ten(estate):
    assert council.cosigners_needed(estate) == 10


def test_one_co_signature_per_person_and_not_the_author(people):
    author, fan = people(), people()
    proposal = council.proposal_create(actor=author, title="t", body="b")
    council.proposal_cosign(actor=fan, proposal_id=proposal.pk)
    with pytest.raises(Conflict) as caught:
        council.proposal_cosign(actor=fan, proposal_id=proposal.pk)
    assert caught.value.code == "already_cosigned"
    with pytest.raises(Conflict) as caught:
        council.proposal_cosign(actor=author, proposal_id=proposal.pk)
    assert caught.value.code == "own_proposal"


def test_staff_cannot_propose_and_bad_input_names_the_field(people):
    with pytest.raises(Forbidden):
        council.proposal_create(actor=people("manager"), title="t", body="b")
    with pytest.raises(DomainError) as caught:
        council.proposal_create(actor=people(), title=" ", body="b")
    assert caught.value.detail == {"field": "title"}


def test_author_withdraws_before_the_agenda_only(estate, people):
    estate.rule_overrides = {"council.proposal_cosigners": 1}
    estate.save()
    author, other = people(), people()
    first = council.proposal_create(actor=author, title="a", body="b")
    with pytest.raises(Forbidden):
        council.proposal_withdraw(actor=other, proposal_id=first.pk)
    assert council.proposal_withdraw(actor=author, proposal_id=first.pk).status == ProposalStatus.WITHDRAWN
    with pytest.raises(Conflict):
        council.proposal_cosign(actor=other, proposal_id=first.pk)
    second = council.proposal_create(actor=author, title="c", body="d")
    council.proposal_cosign(actor=other, proposal_id=second.pk)
    with pytest.raises(Conflict) as caught:
        council.proposal_withdraw(actor=author, proposal_id=second.pk)
    assert caught.value.code == "proposal_on_agenda"


def test_same_idempotency_key_writes_once(people):
    author = people()
    one = council.proposal_create(actor=author, title="a", body="b", idempotency_key="k1")
    two = council.proposal_create(actor=author, title="a", body="b", idempotency_key="k1")
    assert one.pk == two.pk
