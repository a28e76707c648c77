"""The demo estates' residents' council: a few proposals (one on the agenda), a meeting held last month with its
minutes, decisions and three action items (one done, one open, one overdue), a meeting planned for next month, and a
temporary-assembly request collecting signatures. Through the services, as people would enter it. Idempotent: an
estate that has proposals is left alone."""

import datetime

from django.db import transaction
from django.utils import timezone

from gongzhi.accounts.choices import COMMITTEE_ROLES, Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import resolve_actor

from . import assembly, council, council_meetings
from .models import Proposal
from .models.council import ProposalStatus

PROPOSALS = [
    ("增设电动自行车充电桩", "地库入口附近增设 20 个带计量的充电桩，杜绝飞线充电。"),
    ("小区东门增设快递柜", "东门快递堆放影响通行，建议增设智能快递柜。"),
    ("儿童游乐区更换地垫", "游乐区塑胶地垫破损，存在安全隐患。"),
]


def _actors(estate, roles) -> list:
    users = (Membership.objects.filter(estate=estate, role__in=roles, ended_at__isnull=True)
             .select_related("user").order_by("pk"))
    seen, actors = set(), []
    for m in users:
        if m.user_id not in seen:
            seen.add(m.user_id)
            actors.append(resolve_actor(m.user, estate.pk))
    return actors


def seed_council(estate, *, now: datetime.datetime | None = None) -> dict:
    """Seed the estate's council (see the module docstring); returns what was created."""
    if Proposal.objects.filter(estate=estate).exists():
        return {}
    now = now or timezone.now()
    organisers = _actors(estate, [Role.MANAGER, *COMMITTEE_ROLES])
    residents = _actors(estate, [Role.OWNER, Role.FAMILY, Role.TENANT])
    if not organisers or len(residents) < 2:
        return {}
    organiser = organisers[0]
    with transaction.atomic():
        proposals = [council.proposal_create(actor=residents[i % len(residents)], title=title, body=body,
                                             idempotency_key=f"demo-proposal-{i}")
                     for i, (title, body) in enumerate(PROPOSALS)]
        first = proposals[0]
        for cosigner in residents[1:council.cosigners_needed(estate) + 1]:
            if first.author_id != cosigner.user_id:
                council.proposal_cosign(actor=cosigner, proposal_id=first.pk)
        first.refresh_from_db()
        if first.status != ProposalStatus.ON_AGENDA:
            # A small demo estate has fewer resident logins than the threshold: the demo puts it on the agenda.
            Proposal.objects.filter(pk=first.pk).update(status=ProposalStatus.ON_AGENDA, on_agenda_at=now)
        council.proposal_cosign(actor=next(r for r in residents if r.user_id != proposals[1].author_id),
                                proposal_id=proposals[1].pk)

        held = council_meetings.meeting_create(actor=organiser, title="议事会例会（上月）",
                                               starts_at=now - datetime.timedelta(days=30), place="物业服务中心二楼会议室",
                                               idempotency_key="demo-meeting-held")
        for kind, name in (("resident", "居民代表 王阿姨"), ("company", "物业项目经理"), ("committee", "业委会主任"),
                           ("residents_committee", "社区居委会 李书记")):
            council_meetings.attendee_add(actor=organiser, meeting_id=held.pk, kind=kind, name=name)
        item = council_meetings.agenda_item_add(actor=organiser, meeting_id=held.pk, proposal_id=first.pk)
        free = council_meetings.agenda_item_add(actor=organiser, meeting_id=held.pk, title="绿化带补种与修剪")
        decision = council_meetings.decision_record(actor=organiser, meeting_id=held.pk, agenda_item_id=item.pk,
                                                    text="同意增设充电桩，由物业出具方案与报价，提交业主表决。")
        council_meetings.decision_record(actor=organiser, meeting_id=held.pk, agenda_item_id=free.pk,
                                         text="本季度完成东区绿化补种。")
        today = timezone.localdate(now)
        done = council_meetings.action_item_add(
            actor=organiser, meeting_id=held.pk, title="张贴充电桩征求意见通知", owner_name="物业客服",
            due_date=today - datetime.timedelta(days=20), decision_id=decision.pk, idempotency_key="demo-action-1")
        council_meetings.action_item_add(
            actor=organiser, meeting_id=held.pk, title="出具充电桩方案与报价", owner_name="物业工程部",
            owner_user_id=organiser.user_id, due_date=today + datetime.timedelta(days=14), decision_id=decision.pk,
            idempotency_key="demo-action-2")
        council_meetings.action_item_add(
            actor=organiser, meeting_id=held.pk, title="东区绿化补种", owner_name="绿化班组",
            due_date=today - datetime.timedelta(days=5), idempotency_key="demo-action-3")
        council_meetings.action_item_done(actor=organiser, action_id=done.pk, note="已在各单元门口张贴并线上公示。")
        council_meetings.meeting_hold(actor=organiser, meeting_id=held.pk,
                                      minutes="到会 4 方代表。议题一：充电桩，同意推进并提交业主表决。议题二：绿化补种，本季度完成。")
        council_meetings.meeting_create(actor=organiser, title="议事会例会（下月）",
                                        starts_at=now + datetime.timedelta(days=30), place="物业服务中心二楼会议室",
                                        idempotency_key="demo-meeting-planned")

        owners = [r for r in residents if Role.OWNER in r.roles]
        request = None
        if owners:
            request = assembly.assembly_request_start(actor=owners[0], title="提议召开临时业主大会：续聘物业服务企业",
                                                      matters="表决是否续聘现物业服务企业及调整物业服务合同条款。",
                                                      idempotency_key="demo-assembly-1")
            for owner in owners[:1]:
                for house in assembly.represented_houses(actor=owner, on=today)[:1]:
                    assembly.assembly_sign(actor=owner, request_id=request.pk, house_id=house.pk)
    return {"proposals": len(proposals), "meetings": 2, "actions": 3, "assembly_request": request.pk if request else None}
