"""Evaluation API: the service contract's items, the quarterly evaluations of the property company (compute,
comment, publish, correct). Writes: the owners' committee; reads: owners, the committee and the manager (drafts:
the committee and the manager). Formulas: ``gongzhi.surveys.scoring``."""

import datetime
from decimal import Decimal

from ninja import Field, Router, Schema

from gongzhi.core.api import api_actor

from .. import evaluation as svc

router = Router(tags=["evaluation"])


class ContractItemIn(Schema):
    id: int | None = Field(None, description="The item to change; none to create (a retry with the same name "
                                             "updates it).")
    name: str
    weight: int = 1
    position: int = 0
    question_key: str = ""
    survey_weight: int = 1
    ticket_measure: str = Field("", description="sla, rating, reopen or empty")
    ticket_category_id: int | None = None
    ticket_weight: int = 1
    active: bool = True


class ContractItemOut(Schema):
    id: int
    name: str
    weight: int
    position: int
    question_key: str
    survey_weight: int
    ticket_measure: str
    ticket_category_id: int | None
    ticket_weight: int
    active: bool


class EvaluationItemOut(Schema):
    id: int
    name: str
    weight: int
    score: Decimal | None
    inputs: dict
    comment: str


class EvaluationOut(Schema):
    id: int
    year: int
    quarter: int
    revision: int
    status: str
    score: Decimal | None
    survey_id: int | None
    comment: str
    computed_at: datetime.datetime | None
    published_at: datetime.datetime | None


class EvaluationDetailOut(EvaluationOut):
    inputs: dict
    items: list[EvaluationItemOut]


class EvaluationComputeIn(Schema):
    year: int
    quarter: int


class EvaluationCommentIn(Schema):
    comment: str = ""
    items: dict[int, str] = Field(default_factory=dict, description="Evaluation item id → the comment on it.")


def _detail(evaluation):
    return {**EvaluationOut.from_orm(evaluation).dict(), "inputs": evaluation.inputs,
            "items": list(evaluation.items.all())}


@router.get("/estates/{estate_id}/contract-items", response=list[ContractItemOut], summary="Service contract items")
def contract_items(request, estate_id: int):
    return list(svc.contract_items(actor=api_actor(request, estate_id)))


@router.post("/estates/{estate_id}/contract-items", response=ContractItemOut, summary="Create or change an item")
def contract_item_save(request, estate_id: int, payload: ContractItemIn):
    data = payload.dict()
    return svc.contract_item_save(actor=api_actor(request, estate_id), item_id=data.pop("id"), **data)


@router.get("/estates/{estate_id}/evaluations", response=list[EvaluationOut], summary="Quarterly evaluations")
def evaluation_list(request, estate_id: int):
    return list(svc.evaluation_list(actor=api_actor(request, estate_id))[:200])


@router.post("/estates/{estate_id}/evaluations", response=EvaluationDetailOut,
             summary="Compute (or recompute) a quarter's draft")
def evaluation_compute(request, estate_id: int, payload: EvaluationComputeIn):
    return _detail(svc.evaluation_compute(actor=api_actor(request, estate_id), year=payload.year,
                                          quarter=payload.quarter))


@router.get("/estates/{estate_id}/evaluations/{evaluation_id}", response=EvaluationDetailOut,
            summary="An evaluation with its inputs")
def evaluation_detail(request, estate_id: int, evaluation_id: int):
    return _detail(svc.evaluation_detail(actor=api_actor(request, estate_id), evaluation_id=evaluation_id))


@router.post("/estates/{estate_id}/evaluations/{evaluation_id}/comment", response=EvaluationDetailOut,
             summary="The committee's comments")
def evaluation_comment(request, estate_id: int, evaluation_id: int, payload: EvaluationCommentIn):
    return _detail(svc.evaluation_comment(actor=api_actor(request, estate_id), evaluation_id=evaluation_id,
                                          comment=payload.comment, item_comments=payload.items))


@router.post("/estates/{estate_id}/evaluations/{evaluation_id}/publish", response=EvaluationDetailOut,
             summary="Publish to the owners (a notice)")
def evaluation_publish(request, estate_id: int, evaluation_id: int):
    return _detail(svc.evaluation_publish(actor=api_actor(request, estate_id), evaluation_id=evaluation_id))


@router.post("/estates/{estate_id}/evaluations/{evaluation_id}/correct", response=EvaluationDetailOut,
             summary="Start a correction (a new draft revision)")
def evaluation_correct(request, estate_id: int, evaluation_id: int):
    return _detail(svc.evaluation_correct(actor=api_actor(request, estate_id), evaluation_id=evaluation_id))
