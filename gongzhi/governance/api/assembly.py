"""Temporary owners' assembly requests over the API (DOMAIN.md: 20 % of area AND 20 % of headcount may request
one; 15 days' notice). Members read requests, their progress and the signing houses; owners start and sign them for
the houses they represent (family members and tenants: 403); the owners' committee schedules a reached request as
a TEMPORARY vote (409 ``notice_too_short`` with the figures when it would open too soon)."""

import datetime

from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.pagination import paginate

from .. import assembly
from ..models import AssemblyRequest
from ..models.assembly import AssemblyStatus

router = Router(tags=["assembly"])
BASE = "/estates/{estate_id}/governance/assembly-requests"


class AssemblyRequestIn(Schema):
    title: str = Field(..., max_length=120)
    matters: str = Field(..., description="What the assembly is to decide, in words.")
    idempotency_key: str = Field("", max_length=64)


class AssemblyProgressOut(Schema):
    houses: int
    area_signed: str
    area_total: str
    area_needed: str
    area_floor: str
    area_met: bool
    heads_signed: int
    heads_total: int
    heads_needed: int
    heads_floor: str
    heads_met: bool
    reached: bool


class AssemblyRequestOut(Schema):
    id: int
    title: str
    matters: str
    status: str
    status_label: str
    created_at: datetime.datetime
    reached_at: datetime.datetime | None
    scheduled_at: datetime.datetime | None
    vote_id: int | None
    signed_houses: int


class AssemblySignatureOut(Schema):
    house_id: int
    house: str
    signed_at: datetime.datetime
    mine: bool


class AssemblyRequestDetailOut(AssemblyRequestOut):
    progress: AssemblyProgressOut
    signatures: list[AssemblySignatureOut]
    my_houses: list[int] = Field(description="Houses the caller represents (may sign for).")


class AssemblyRequestPage(Schema):
    items: list[AssemblyRequestOut]
    next_cursor: str | None


class AssemblyFilters(Schema):
    status: AssemblyStatus | None = None
    cursor: str | None = None
    limit: int = 50


class AssemblySignIn(Schema):
    house_id: int


class AssemblyScheduleIn(Schema):
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    title: str = Field("", max_length=120)


class AssemblyScheduleOut(Schema):
    request_id: int
    vote_id: int
    status: str


def _data(r: AssemblyRequest, signed: int | None = None) -> dict:
    return {"id": r.pk, "title": r.title, "matters": r.matters, "status": r.status,
            "status_label": str(AssemblyStatus(r.status).label), "created_at": r.created_at,
            "reached_at": r.reached_at, "scheduled_at": r.scheduled_at, "vote_id": r.vote_id,
            "signed_houses": signed if signed is not None else getattr(r, "signed_houses", 0)}


def _detail(actor, r: AssemblyRequest) -> dict:
    signatures = assembly.signatures_of(r)
    return {**_data(r, len(signatures)), "progress": assembly.assembly_progress(r),
            "signatures": [{**s, "mine": s["user_id"] == actor.user_id} for s in signatures],
            "my_houses": [h.pk for h in assembly.represented_houses(actor=actor)]}


@router.get(BASE, response=AssemblyRequestPage, summary="Temporary assembly requests, newest first")
def request_list(request, estate_id: int, filters: Query[AssemblyFilters]):
    actor = api_actor(request, estate_id)
    page = paginate(assembly.assembly_request_list(actor=actor, status=filters.status or ""), cursor=filters.cursor,
                    limit=filters.limit, descending=True)
    return {"items": [_data(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post(BASE, response={201: AssemblyRequestOut}, summary="Start a temporary assembly request (owners)")
def request_start(request, estate_id: int, payload: AssemblyRequestIn):
    actor = api_actor(request, estate_id)
    r = assembly.assembly_request_start(actor=actor, title=payload.title, matters=payload.matters,
                                        idempotency_key=payload.idempotency_key)
    return Status(201, _data(r, 0))


@router.get(BASE + "/{request_id}", response=AssemblyRequestDetailOut,
            summary="A request with its progress against both 20 % floors and the signing houses")
def request_detail(request, estate_id: int, request_id: int):
    actor = api_actor(request, estate_id)
    return _detail(actor, assembly.assembly_request_get_for_actor(actor=actor, request_id=request_id))


@router.post(BASE + "/{request_id}/signatures", response={201: AssemblyRequestDetailOut},
             summary="Sign for a house you represent (409 already_signed)")
def request_sign(request, estate_id: int, request_id: int, payload: AssemblySignIn):
    actor = api_actor(request, estate_id)
    assembly.assembly_sign(actor=actor, request_id=request_id, house_id=payload.house_id)
    return Status(201, _detail(actor, assembly.assembly_request_get_for_actor(actor=actor, request_id=request_id)))


@router.delete(BASE + "/{request_id}/signatures/{house_id}", response=AssemblyRequestDetailOut,
               summary="Withdraw a house's signature while the request is collecting")
def request_unsign(request, estate_id: int, request_id: int, house_id: int):
    actor = api_actor(request, estate_id)
    assembly.assembly_unsign(actor=actor, request_id=request_id, house_id=house_id)
    return _detail(actor, assembly.assembly_request_get_for_actor(actor=actor, request_id=request_id))


@router.post(BASE + "/{request_id}/schedule", response=AssemblyScheduleOut,
             summary="Schedule a reached request as a temporary assembly vote (the owners' committee)")
def request_schedule(request, estate_id: int, request_id: int, payload: AssemblyScheduleIn):
    actor = api_actor(request, estate_id)
    vote = assembly.assembly_schedule(actor=actor, request_id=request_id, opens_at=payload.opens_at,
                                      closes_at=payload.closes_at, title=payload.title)
    return {"request_id": request_id, "vote_id": vote.pk, "status": AssemblyStatus.SCHEDULED}
