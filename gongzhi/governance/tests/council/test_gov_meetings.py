"""Stories of council meetings: agenda, attendees, minutes, a decision, action items tracked to done, a decision
opening an owners' vote, reminders."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.governance import council, council_meetings
from gongzhi.governance.choices import VoteStatus
from gongzhi.governance.models.council import ActionStatus, MeetingStatus, ProposalStatus
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(estate, member, actor_of):
    def make(role):
        return actor_of(member(role, estate), estate)

    return make


@pytest.fixture
def on_agenda(estate, cast):
    estate.rule_overrides = {"council.proposal_cosigners": 1}
    estate.save()
    proposal = council.proposal_create(actor=cast("owner"), title="楼道灯改造", body="LED lights in stairwells.")
    council.proposal_cosign(actor=cast("tenant"), proposal_id=proposal.pk)
    return proposal


def soon(days=1):
    return timezone.now() + datetime.timedelta(days=days)


def test_meeting_decision_action_item_done(on_agenda, cast):
    # given the manager plans a meeting with the proposal and a free item, and attendees of each kind
    manager, resident = cast("manager"), cast("owner")
    doer = cast("owner")
    meeting = council_meetings.meeting_create(actor=manager, title="三月议事会", starts_at=soon(), place="会议室")
    item = council_meetings.agenda_item_add(actor=manager, meeting_id=meeting.pk, proposal_id=on_agenda.pk)
    free = council_meetings.agenda_item_add(actor=manager, meeting_id=meeting.pk, title="Garden upkeep")
    assert (item.title, item.position, free.position) == ("楼道灯改造", 1, 2)
    for kind, name in (("resident", "王阿姨"), ("company", "物业经理"), ("committee", "业委会主任"),
                       ("residents_committee", "居委会李")):
        council_meetings.attendee_add(actor=manager, meeting_id=meeting.pk, kind=kind, name=name)
    # residents do not see the draft minutes before it is held
    assert not council_meetings.minutes_visible(resident, meeting)
    # when a decision and an action item are recorded and the meeting is marked held
    decision = council_meetings.decision_record(actor=manager, meeting_id=meeting.pk, agenda_item_id=item.pk,
                                                text="Replace with LED by May.")
    action = council_meetings.action_item_add(actor=manager, meeting_id=meeting.pk, title="Buy LED lights",
                                              owner_name="张师傅", owner_user_id=doer.user.pk,
                                              due_date=timezone.localdate() + datetime.timedelta(days=30),
                                              decision_id=decision.pk)
    meeting = council_meetings.meeting_hold(actor=manager, meeting_id=meeting.pk, minutes="All agreed.")
    # then the proposal is decided, minutes are published, and the owner marks the action done
    on_agenda.refresh_from_db()
    assert on_agenda.status == ProposalStatus.DECIDED
    assert meeting.status == MeetingStatus.HELD and council_meetings.minutes_visible(resident, meeting)
    with pytest.raises(Forbidden):
        council_meetings.action_item_done(actor=resident, action_id=action.pk, note="done")
    done = council_meetings.action_item_done(actor=doer, action_id=action.pk, note="Installed 40 lights.")
    assert done.status == ActionStatus.DONE and done.done_note == "Installed 40 lights."
    # and marking it done again changes nothing
    assert council_meetings.action_item_done(actor=doer, action_id=action.pk, note="x").done_note == done.done_note
    detail = council_meetings.meeting_detail(meeting)
    assert [a.name for a in detail["attendees"]] and detail["agenda"][0].decision.text == "Replace with LED by May."


def test_decision_opens_a_draft_vote(on_agenda, cast):
    chair = cast("committee_chair")
    meeting = council_meetings.meeting_create(actor=chair, title="m", starts_at=soon(), place="p")
    item = council_meetings.agenda_item_add(actor=chair, meeting_id=meeting.pk, proposal_id=on_agenda.pk)
    decision = council_meetings.decision_record(actor=chair, meeting_id=meeting.pk, agenda_item_id=item.pk,
                                                text="Put it to the owners.")
    vote = council_meetings.decision_open_vote(actor=chair, meeting_id=meeting.pk, decision_id=decision.pk,
                                               opens_at=soon(20), closes_at=soon(35))
    assert vote.status == VoteStatus.DRAFT and vote.title == "楼道灯改造" and vote.description == decision.text
    decision.refresh_from_db()
    assert decision.vote_id == vote.pk
    again = council_meetings.decision_open_vote(actor=chair, meeting_id=meeting.pk, decision_id=decision.pk,
                                                opens_at=soon(20), closes_at=soon(35))
    assert again.pk == vote.pk


def test_only_organisers_write_and_bad_input_is_refused(on_agenda, cast, other_estate, member, actor_of):
    manager = cast("manager")
    for role in ("owner", "family", "tenant", "technician", "finance"):
        with pytest.raises(Forbidden):
            council_meetings.meeting_create(actor=cast(role), title="t", starts_at=soon(), place="p")
    for role in ("committee_member", "customer_service", "rc_liaison"):
        council_meetings.meeting_create(actor=cast(role), title="t", starts_at=soon(), place="p")
    meeting = council_meetings.meeting_create(actor=manager, title="t", starts_at=soon(), place="p")
    with pytest.raises(DomainError) as caught:
        council_meetings.meeting_hold(actor=manager, meeting_id=meeting.pk, minutes="")
    assert caught.value.detail == {"field": "minutes"}
    with pytest.raises(DomainError) as caught:
        council_meetings.attendee_add(actor=manager, meeting_id=meeting.pk, kind="alien", name="x")
    assert caught.value.detail == {"field": "kind"}
    stranger = member("owner", other_estate)
    with pytest.raises(DomainError) as caught:
        council_meetings.action_item_add(actor=manager, meeting_id=meeting.pk, title="t", owner_name="n",
                                         owner_user_id=stranger.pk, due_date=timezone.localdate())
    assert caught.value.detail == {"field": "owner_user_id"}
    # a proposal still collecting cannot go on the agenda
    collecting = council.proposal_create(actor=cast("owner"), title="x", body="y")
    with pytest.raises(Conflict) as caught:
        council_meetings.agenda_item_add(actor=manager, meeting_id=meeting.pk, proposal_id=collecting.pk)
    assert caught.value.code == "proposal_not_on_agenda"
    # another estate's organiser finds nothing
    with pytest.raises(NotFound):
        council_meetings.agenda_item_add(actor=actor_of(member("manager", other_estate), other_estate),
                                         meeting_id=meeting.pk, title="x")


def test_one_decision_per_agenda_item(cast):
    manager = cast("manager")
    meeting = council_meetings.meeting_create(actor=manager, title="t", starts_at=soon(), place="p")
    item = council_meetings.agenda_item_add(actor=manager, meeting_id=meeting.pk, title="Free item")
    first = council_meetings.decision_record(actor=manager, meeting_id=meeting.pk, agenda_item_id=item.pk, text="A")
    assert council_meetings.decision_record(actor=manager, meeting_id=meeting.pk, agenda_item_id=item.pk,
                                            text="A").pk == first.pk
    with pytest.raises(Conflict) as caught:
        council_meetings.decision_record(actor=manager, meeting_id=meeting.pk, agenda_item_id=item.pk, text="B")
    assert caught.value.code == "already_decided"


def test_overdue_flag_and_reminders_to_the_owner(cast):
    manager, doer = cast("manager"), cast("owner")
    today = timezone.localdate()
    meeting = council_meetings.meeting_create(actor=manager, title="t", starts_at=soon(), place="p")

    def add(title, days, user=doer):
        return council_meetings.action_item_add(actor=manager, meeting_id=meeting.pk, title=title, owner_name="n",
                                                owner_user_id=user.user.pk if user else None,
                                                due_date=today + datetime.timedelta(days=days))

    late, tomorrow, later = add("late", -2), add("tomorrow", 1), add("later", 5)
    add("nobody's login", -1, user=None)
    overdue = council_meetings.action_list(actor=doer, overdue=True)
    assert {a.title for a in overdue} == {"late", "nobody's login"}
    assert council_meetings.is_overdue(late) and not council_meetings.is_overdue(later)
    assert council_meetings.action_reminders_send(today=today) == 2
    assert council_meetings.action_reminders_send(today=today) == 0
    titles = list(Notification.objects.filter(user=doer.user, kind="council").values_list("title", flat=True))
    assert len(titles) == 2 and any(t.endswith("late") for t in titles) and any(t.endswith("tomorrow") for t in titles)
    assert tomorrow.pk
