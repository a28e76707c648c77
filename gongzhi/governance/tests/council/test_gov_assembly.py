"""Stories of temporary assembly requests (DOMAIN.md: 20 % of the area AND 20 % of the headcount; 15 days' notice)."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.governance import assembly
from gongzhi.governance.choices import VoteKind, VoteStatus
from gongzhi.governance.models import AssemblySignature
from gongzhi.governance.models.assembly import AssemblyStatus
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(estate, houses, owner, member, actor_of):
    """Ten houses, 1000.00 m² in all; everyone owns one house except Li, who owns two (so 9 heads)."""

    class W:
        pass

    w = W()
    w.estate = estate
    w.a = houses("100.00")
    w.b = houses("100.00")
    w.li1, w.li2 = houses("150.00"), houses("50.00")
    w.rest = [houses("100.00") for _ in range(6)]
    w.alice = owner(estate, w.a)
    w.bob = owner(estate, w.b)
    w.li = owner(estate, w.li1, w.li2)
    w.others = [owner(estate, h) for h in w.rest]
    w.chair = member("committee_chair", estate)
    w.act = lambda user: actor_of(user, estate)
    return w


def start(w, user=None):
    return assembly.assembly_request_start(actor=w.act(user or w.alice), title="罢免物业公司",
                                           matters="Dismiss the property company and hire a new one.")


def test_both_floors_reached_exactly_at_twenty_percent_then_committee_notified(world, django_capture_on_commit_callbacks):
    # given a request and Alice's house (100.00 m²) signed
    w = world
    req = start(w)
    assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    progress = assembly.assembly_progress(req)
    assert (progress["area_signed"], progress["area_total"], progress["area_needed"]) == ("100.00", "1000.00", "200.00")
    assert (progress["heads_signed"], progress["heads_total"], progress["heads_needed"]) == (1, 9, 2)
    assert not progress["reached"]
    # when Bob signs: exactly 200.00 m² of 1000.00 (20 %) and 2 of 9 heads (>= 1.8)
    with django_capture_on_commit_callbacks(execute=True):
        assembly.assembly_sign(actor=w.act(w.bob), request_id=req.pk, house_id=w.b.pk)
    # then it is reached and the committee is notified (kind ASSEMBLY)
    req.refresh_from_db()
    assert req.status == AssemblyStatus.REACHED and req.reached_figures["area_signed"] == "200.00"
    assert Notification.objects.filter(user=w.chair, kind="assembly").count() == 1


def test_one_square_metre_short_is_not_reached(world):
    # given Bob's house is 99.00 m² (and another 101.00, the total still 1000.00)
    w = world
    w.b.area_m2, w.rest[0].area_m2 = 99, 101
    w.b.save()
    w.rest[0].save()
    req = start(w)
    # when Alice and Bob sign: 199.00 m², 2 heads
    for user, house in ((w.alice, w.a), (w.bob, w.b)):
        assembly.assembly_sign(actor=w.act(user), request_id=req.pk, house_id=house.pk)
    # then the area floor is missed by one m²
    progress = assembly.assembly_progress(req)
    assert progress["area_signed"] == "199.00" and progress["heads_met"] and not progress["area_met"]
    req.refresh_from_db()
    assert req.status == AssemblyStatus.COLLECTING


def test_one_head_short_an_owner_of_two_houses_counts_once(world):
    # given Li owns two houses (150.00 + 50.00 = 200.00 m²)
    w = world
    req = start(w)
    # when Li signs for both
    for house in (w.li1, w.li2):
        assembly.assembly_sign(actor=w.act(w.li), request_id=req.pk, house_id=house.pk)
    # then the area is met but Li counts as one head of the 2 needed
    progress = assembly.assembly_progress(req)
    assert progress["area_met"] and progress["heads_signed"] == 1 and not progress["reached"]
    # and one more owner reaches it
    assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    req.refresh_from_db()
    assert req.status == AssemblyStatus.REACHED


def test_a_house_signs_once(world):
    w = world
    req = start(w)
    assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    with pytest.raises(Conflict) as caught:
        assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    assert caught.value.code == "already_signed"
    assert AssemblySignature.objects.filter(request=req).count() == 1


def test_family_and_tenants_cannot_sign_and_owners_only_for_their_houses(world, owner):
    w = world
    req = start(w)
    family = owner(w.estate, w.rest[1], role="family", kind="family", representative=False)
    tenant = owner(w.estate, w.rest[2], role="tenant", kind="tenant", representative=False)
    for user, house in ((family, w.rest[1]), (tenant, w.rest[2])):
        with pytest.raises(Forbidden) as caught:
            assembly.assembly_sign(actor=w.act(user), request_id=req.pk, house_id=house.pk)
        assert caught.value.code == "not_an_owner"
    with pytest.raises(Forbidden) as caught:
        assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.b.pk)
    assert caught.value.code == "not_representative"
    with pytest.raises(Forbidden):
        assembly.assembly_request_start(actor=w.act(tenant), title="x", matters="y")


def test_withdrawn_signature_stays_on_record_and_the_house_may_sign_again(world):
    w = world
    req = start(w)
    assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    assembly.assembly_unsign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    assert assembly.assembly_progress(req)["houses"] == 0
    assembly.assembly_sign(actor=w.act(w.alice), request_id=req.pk, house_id=w.a.pk)
    assert AssemblySignature.objects.filter(request=req).count() == 2
    assert assembly.my_signatures(actor=w.act(w.alice), request=req) == [w.a.pk]


def _reached(w):
    req = start(w)
    for user, house in ((w.alice, w.a), (w.bob, w.b)):
        assembly.assembly_sign(actor=w.act(user), request_id=req.pk, house_id=house.pk)
    req.refresh_from_db()
    return req


def test_committee_schedules_with_fifteen_days_notice(world):
    w = world
    req = _reached(w)
    today = timezone.localdate()

    def at(days):
        return timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(9)))

    # an owner cannot schedule; the committee cannot open it in 14 days
    with pytest.raises(Forbidden):
        assembly.assembly_schedule(actor=w.act(w.alice), request_id=req.pk, opens_at=at(20), closes_at=at(30))
    with pytest.raises(Conflict) as caught:
        assembly.assembly_schedule(actor=w.act(w.chair), request_id=req.pk, opens_at=at(14), closes_at=at(30))
    assert caught.value.code == "notice_too_short" and caught.value.detail["notice_days"] == 15
    assert caught.value.detail["given_days"] == 14
    # in 15 days it is a TEMPORARY draft vote linked to the request; scheduling again returns it
    vote = assembly.assembly_schedule(actor=w.act(w.chair), request_id=req.pk, opens_at=at(15), closes_at=at(30))
    assert (vote.kind, vote.status) == (VoteKind.TEMPORARY, VoteStatus.DRAFT)
    req.refresh_from_db()
    assert req.status == AssemblyStatus.SCHEDULED and req.vote_id == vote.pk
    again = assembly.assembly_schedule(actor=w.act(w.chair), request_id=req.pk, opens_at=at(16), closes_at=at(30))
    assert again.pk == vote.pk


def test_collecting_request_cannot_be_scheduled_and_reached_one_cannot_be_signed(world):
    w = world
    req = start(w)
    at = timezone.now() + datetime.timedelta(days=20)
    with pytest.raises(Conflict) as caught:
        assembly.assembly_schedule(actor=w.act(w.chair), request_id=req.pk, opens_at=at,
                                   closes_at=at + datetime.timedelta(days=7))
    assert caught.value.code == "request_not_reached"
    req = _reached(w)
    with pytest.raises(Conflict) as caught:
        assembly.assembly_sign(actor=w.act(w.li), request_id=req.pk, house_id=w.li1.pk)
    assert caught.value.code == "request_not_collecting"


def test_overdue_reminder_to_the_committee_once_a_day(world, django_capture_on_commit_callbacks):
    w = world
    req = _reached(w)
    later = req.reached_at + datetime.timedelta(days=31)
    before = Notification.objects.filter(user=w.chair, kind="assembly").count()
    with django_capture_on_commit_callbacks(execute=True):
        assert assembly.assembly_reminders_send(now=req.reached_at + datetime.timedelta(days=29)) == 0
        assert assembly.assembly_reminders_send(now=later) == 1
        assert assembly.assembly_reminders_send(now=later + datetime.timedelta(hours=2)) == 0
    # one reminder, in the chair's language
    assert Notification.objects.filter(user=w.chair, kind="assembly").count() == before + 1


def test_another_estates_request_is_not_found(world, other_estate, member, actor_of):
    w = world
    req = start(w)
    stranger = member("committee_chair", other_estate)
    with pytest.raises(NotFound):
        assembly.assembly_request_get_for_actor(actor=actor_of(stranger, other_estate), request_id=req.pk)
    with pytest.raises(NotFound):
        assembly.assembly_schedule(actor=actor_of(stranger, other_estate), request_id=req.pk,
                                   opens_at=timezone.now(), closes_at=timezone.now())
