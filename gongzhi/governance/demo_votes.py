"""The demo's owners' votes (issue 6 "Done when"): a committee election (7 seats, 9 candidates from the registry's
owners) and a maintenance-fund vote of one building's charge scope, both run from opening to a published,
recomputable result; plus one assembly vote still open, with some ballots in.

Everything that shows a path through the product goes through the services: the drafts, items and candidates,
opening (roll frozen, notices), online ballots by the demo logins that represent a house, written ballots with a
generated scan, a proxy with its authorisation, changed ballots, the close and the publication (which records
the owners' decision on the fund project in the ledger). The rest of the turnout (about 75 % of the houses) is
entered as on-site ballots: through ``ballot_enter`` for the fund vote's scope (one building), and for the
estate-wide votes as bulk rows written like the service writes them (same receipt digests, one audit entry for the
batch), so that seeding stays well under 3 s per estate on SQLite even at 1,700 houses. Idempotent: a second run
finds the votes by their idempotency keys and adds nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from gongzhi.accounts.choices import Role
from gongzhi.core.access import Actor, resolve_actor
from gongzhi.core.audit import audit

from . import ballots as cast
from . import votes as svc
from .choices import BallotForm, Channel, Matter, VoteKind, VoteStatus
from .count import receipt_digest
from .models import Ballot, RollEntry, Vote

TURNOUT_SKIP = 4  # every 4th house does not vote: 75 % turnout


def _actor(estate, role) -> Actor | None:
    from gongzhi.accounts.models import Membership

    membership = (Membership.objects.filter(estate=estate, role=role, ended_at__isnull=True)
                  .select_related("user").order_by("pk").first())
    return resolve_actor(membership.user, estate.pk) if membership else None


def scan_png(label: str) -> SimpleUploadedFile:
    """A generated 'scan' of a signed ballot paper: a small grey PNG (real scans are photos or PDFs)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (240, 120), 235)
    ImageDraw.Draw(image).text((10, 50), label[:30], fill=20)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{label}.png", buffer.getvalue(), content_type="image/png")


def _voters(vote: Vote) -> list[RollEntry]:
    entries = list(RollEntry.objects.filter(vote=vote).select_related("representative").order_by("house_id"))
    return [e for i, e in enumerate(entries) if i % TURNOUT_SKIP != TURNOUT_SKIP - 1]


def _bulk(vote: Vote, clerk: Actor, rows: list[tuple[int, int, str, list[int]]], now) -> int:
    """On-site ballots (house, item, choice, options) written as the service writes them, for the bulk of a large
    estate's turnout; one audit entry for the batch."""
    ballots = []
    for house_id, item_id, choice, options in rows:
        ballots.append(Ballot(estate=vote.estate, vote=vote, item_id=item_id, house_id=house_id,
                              channel=Channel.ONSITE, choice=choice, options=options, cast_by=clerk.user,
                              receipt_sha256=receipt_digest(cast.new_code()), cast_at=now))
    Ballot.objects.bulk_create(ballots, batch_size=1000)
    audit(user=clerk.user, estate=vote.estate, action="ballot.onsite_batch", obj=vote,
          after={"ballots": len(ballots), "demo": True})
    return len(ballots)


def _open(chair: Actor, *, key: str, title: str, kind=VoteKind.ASSEMBLY, now, days=16, **fields) -> Vote | None:
    vote = svc.vote_create(actor=chair, title=title, kind=kind, opens_at=now - datetime.timedelta(hours=2),
                           closes_at=now + datetime.timedelta(days=days), idempotency_key=key, **fields)
    return vote if vote.status == VoteStatus.DRAFT else None


def _election(chair: Actor, clerk: Actor, estate, now) -> int:
    from gongzhi.estate.models import Residency

    vote = _open(chair, key="demo.vote:election", title="第三届业主委员会选举", now=now,
                 description="选举第三届业主委员会委员 7 名（候选人 9 名，差额选举）。每户至多选 7 人。")
    if vote is None:
        return 0
    people = list(Residency.objects.current().filter(estate=estate, kind="owner").order_by("person_id")
                  .values_list("person_id", flat=True).distinct()[:9])
    if len(people) < 9:
        svc.vote_cancel(actor=chair, vote_id=vote.pk, reason="too few owners for a demo election")
        return 0
    item = svc.vote_item_add(actor=chair, vote_id=vote.pk, title="选举业主委员会委员（7 名）", matter=Matter.COMMITTEE,
                             form=BallotForm.ELECTION, seats=7,
                             options=[{"person_id": p, "statement": "愿为小区共同事务尽心尽力。"} for p in people])
    svc.vote_open(actor=chair, vote_id=vote.pk, notice=True)
    options = list(item.options.order_by("position").values_list("pk", flat=True))
    favourites, others = options[:7], options[:5] + options[7:]
    voters = _voters(vote)
    sample, rest = _sample(chair, clerk, vote, item, voters, lambda i: {"options": favourites if i % 5 < 3
                                                                          else others})
    _bulk(vote, clerk, [(e.house_id, item.pk, "", favourites if i % 5 < 3 else others)
                        for i, e in enumerate(rest, start=len(sample))], now)
    svc.vote_close(actor=chair, vote_id=vote.pk)
    svc.vote_publish(actor=chair, vote_id=vote.pk)
    return len(voters)


def _sample(chair, clerk, vote, item, voters, answer) -> tuple[list, list]:
    """Ballots through the services for the first houses: online by a demo login that represents the house (one
    of them changes its mind), a written ballot with its scan every 7th, a proxy for one house; returns (sample,
    rest)."""
    voters = sorted(voters, key=lambda e: (e.representative is None or e.representative.user_id is None,
                                           e.house_id))  # the demo logins that represent a house vote online
    sample, rest = voters[:12], voters[12:]
    proxied = False
    for i, entry in enumerate(sample):
        owner = _login_of(vote, entry)
        if owner is not None:  # online, then a change of mind (the first ballot stays on record)
            cast.ballot_cast_online(actor=owner, vote_id=vote.pk, house_id=entry.house_id,
                                    answers={item.pk: answer(i + 1)})
            cast.ballot_cast_online(actor=owner, vote_id=vote.pk, house_id=entry.house_id,
                                    answers={item.pk: answer(i)}, change=True)
            continue
        if not proxied and entry.owners:  # the first house without a login votes through an agent
            agent = _agent(vote, entry)
            if agent is not None:
                proxied = True
                proxy = cast.proxy_record(actor=clerk, vote_id=vote.pk, house_id=entry.house_id,
                                          principal_person_id=entry.owners[0][0], agent_person_id=agent, items=[],
                                          document=scan_png(f"proxy-{entry.house_code}"))
                cast.ballot_enter(actor=clerk, vote_id=vote.pk, house_id=entry.house_id, channel=Channel.WRITTEN,
                                  answers={item.pk: answer(i)}, scan=scan_png(f"ballot-{entry.house_code}"),
                                  proxy_id=proxy.pk)
                continue
        if i % 3 == 0:
            cast.ballot_enter(actor=clerk, vote_id=vote.pk, house_id=entry.house_id, channel=Channel.WRITTEN,
                              answers={item.pk: answer(i)}, scan=scan_png(f"ballot-{entry.house_code}"))
        else:
            cast.ballot_enter(actor=clerk, vote_id=vote.pk, house_id=entry.house_id, channel=Channel.ONSITE,
                              answers={item.pk: answer(i)})
        if i == 4:  # a written ballot corrected after a clerk's slip, the first one stays on record
            cast.ballot_enter(actor=clerk, vote_id=vote.pk, house_id=entry.house_id, channel=Channel.WRITTEN,
                              answers={item.pk: answer(i)}, scan=scan_png(f"ballot-{entry.house_code}-2"),
                              replaces_reason="录入时选错候选人，按原始选票更正")
    return sample, rest


def _login_of(vote, entry) -> Actor | None:
    """The representative's login in the estate, when the demo gave them one."""
    from gongzhi.core.errors import NotFound

    user = entry.representative.user if entry.representative is not None else None
    if user is None:
        return None
    try:
        return resolve_actor(user, vote.estate_id)
    except NotFound:
        return None


def _agent(vote, entry) -> int | None:
    """Another person of the registry (not an owner of the house) to act as the proxy's agent."""
    from gongzhi.estate.models import Person

    owners = [o[0] for o in entry.owners]
    return (Person.objects.filter(estate=vote.estate).exclude(pk__in=owners).order_by("pk")
            .values_list("pk", flat=True).first())


def _fund_vote(chair: Actor, clerk: Actor, finance: Actor, estate, now) -> int:
    from gongzhi.estate.models import Building
    from gongzhi.ledger.fund_projects import fund_project_propose

    if Vote.objects.filter(estate=estate, idempotency_key="demo.vote:fund").exists():
        return 0
    building = Building.objects.filter(estate=estate).order_by("sort_key", "pk").first()
    if building is None or finance is None:
        return 0
    project = fund_project_propose(
        actor=finance, title=f"{building.name}号楼外墙渗水维修", scope="buildings", scope_ids=[building.pk],
        description="外墙面砖空鼓、渗水，局部铲除重做并整体防水涂刷。", contractor="上海申城建筑修缮有限公司",
        items=[("脚手架搭拆", Decimal("28000.00")), ("外墙面砖修复及防水", Decimal("64500.00"))],
        idempotency_key="demo.project:facade")
    vote = _open(chair, key="demo.vote:fund", title=f"维修资金使用表决：{project.title}", kind=VoteKind.FUND,
                 fund_project_id=project.pk, now=now, days=10,
                 description="列支范围：本楼全体业主。预算 92,500.00 元，按建筑面积分摊。")
    if vote is None:
        return 0
    item = svc.vote_item_add(actor=chair, vote_id=vote.pk, title="同意使用维修资金实施外墙渗水维修",
                             matter=Matter.FUND_USE)
    svc.vote_open(actor=chair, vote_id=vote.pk)
    entries = list(RollEntry.objects.filter(vote=vote).select_related("representative").order_by("house_id"))
    voters = [e for i, e in enumerate(entries) if i % 8 != 7]  # 87.5 % turnout

    def choice(i):
        return {"choice": "against" if i % 12 == 5 else "abstain" if i % 12 == 11 else "for"}

    sample, rest = _sample(chair, clerk, vote, item, voters, choice)
    for i, entry in enumerate(rest, start=len(sample)):
        cast.ballot_enter(actor=clerk, vote_id=vote.pk, house_id=entry.house_id, channel=Channel.ONSITE,
                          answers={item.pk: choice(i)})
    svc.vote_close(actor=chair, vote_id=vote.pk)
    svc.vote_publish(actor=chair, vote_id=vote.pk)
    return len(voters)


def _open_vote(chair: Actor, clerk: Actor, now) -> int:
    vote = _open(chair, key="demo.vote:chargers", title="关于增设电动自行车集中充电设施的表决", now=now, days=18,
                 description="拟在 2 号楼与 5 号楼之间绿地边角增设电动自行车集中充电棚（改变共有部分用途）。")
    if vote is None:
        return 0
    item = svc.vote_item_add(actor=chair, vote_id=vote.pk, title="同意在 2、5 号楼间增设电动自行车集中充电棚",
                             matter=Matter.COMMON_USE)
    svc.vote_open(actor=chair, vote_id=vote.pk)
    entries = list(RollEntry.objects.filter(vote=vote).order_by("house_id").values_list("house_id", flat=True))
    rows = [(h, item.pk, "for" if i % 5 else "against", []) for i, h in enumerate(entries) if i % 3 == 0]
    return _bulk(vote, clerk, rows, now)


def seed_votes(estate, *, now) -> dict[str, int]:
    """The demo votes of one estate (see the module docstring); returns the houses that voted in each."""
    chair = _actor(estate, Role.COMMITTEE_CHAIR)
    clerk = _actor(estate, Role.CUSTOMER_SERVICE) or _actor(estate, Role.MANAGER)
    finance = _actor(estate, Role.FINANCE) or _actor(estate, Role.MANAGER)
    if chair is None or clerk is None:
        return {}
    made = {}
    with transaction.atomic():
        made["election"] = _election(chair, clerk, estate, now)
    with transaction.atomic():
        made["fund vote"] = _fund_vote(chair, clerk, finance, estate, now)
    with transaction.atomic():
        made["open vote"] = _open_vote(chair, clerk, now)
    return made


__all__ = ["scan_png", "seed_votes"]
